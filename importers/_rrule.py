"""Recurrence rules expanded under a work budget (used by ``importers/ics.py``).

dateutil's ``rrule`` iterates period by period from ``DTSTART`` and yields only matches: a
rule that can never match (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31``) runs to the year 9999
without yielding once, and a ``FREQ=SECONDLY`` rule from years ago walks every second since.
Neither can be stopped by counting what it yields. ``iterate`` is dateutil's own period loop
(``rrule._iter`` of python-dateutil 2.9, dual-licensed Apache 2.0 / BSD 3-clause; the
changes are marked ``graphsvc``) with three additions:

* every period spends the days it examines from a ``Budget``, which raises ``OverBudget``
  when the work or the wall-clock allowance runs out (or ``should_stop()`` answers True);
* ``stop``: periods starting after it are not examined (the window's end, not the year 9999);
* ``jump_to``: a rule without ``COUNT`` starts at its last period before ``jump_to`` instead
  of at ``DTSTART``. Periods are ``INTERVAL`` units apart from ``DTSTART`` in wall-clock time
  (years, months, weeks from DTSTART's week, days, ...; dateutil's skips over filtered days keep
  that alignment), so the occurrences from there on are exactly the rule's.

The rule object itself (parsing, defaults taken from ``DTSTART``) is dateutil's.
"""

from __future__ import annotations

import calendar
import datetime
import time as _time
from math import gcd
from typing import Callable, Iterator

from dateutil.rrule import DAILY, HOURLY, MINUTELY, MONTHLY, SECONDLY, WEEKLY, YEARLY, _iterinfo, rrule

UNITS = {
    WEEKLY: datetime.timedelta(days=7), DAILY: datetime.timedelta(days=1), HOURLY: datetime.timedelta(hours=1),
    MINUTELY: datetime.timedelta(minutes=1), SECONDLY: datetime.timedelta(seconds=1),
}
#: Periods between two looks at the clock and at ``should_stop``.
CHECK_EVERY = 2048


class OverBudget(Exception):
    """The expansion used up its work or time allowance (or was asked to stop)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Budget:
    """Work units (days examined, occurrences handled) and seconds one expansion may use."""

    def __init__(self, work: int, seconds: float, should_stop: Callable[[], bool] | None = None) -> None:
        self.limit, self.used = work, 0
        self.deadline = _time.monotonic() + seconds
        self.seconds = seconds
        self.should_stop = should_stop
        self._next_check = CHECK_EVERY

    def spend(self, units: int = 1) -> None:
        self.used += units
        if self.used > self.limit:
            raise OverBudget(f"more than {self.limit:,} steps")
        if self.used >= self._next_check:
            self._next_check = self.used + CHECK_EVERY
            if _time.monotonic() > self.deadline:
                raise OverBudget(f"more than {self.seconds:g} s")
            if self.should_stop is not None and self.should_stop():
                raise OverBudget("the import was cancelled")


def iterate(
    rule: rrule, budget: Budget, *, stop: datetime.datetime | None = None, jump_to: datetime.datetime | None = None
) -> Iterator[datetime.datetime]:
    """The occurrences of ``rule`` in order (from its last period before ``jump_to``, when it may
    jump), up to the first period starting after ``stop``. ``stop`` and ``jump_to`` are wall-clock
    times in the rule's time zone (naive or aware, like its ``DTSTART``)."""
    year, month, day, hour, minute, second, weekday, yearday, _ = rule._dtstart.timetuple()

    # Some local variables to speed things up a bit
    freq = rule._freq
    interval = rule._interval
    wkst = rule._wkst
    until = rule._until
    bymonth = rule._bymonth
    byweekno = rule._byweekno
    byyearday = rule._byyearday
    byweekday = rule._byweekday
    byeaster = rule._byeaster
    bymonthday = rule._bymonthday
    bynmonthday = rule._bynmonthday
    bysetpos = rule._bysetpos
    byhour = rule._byhour
    byminute = rule._byminute
    bysecond = rule._bysecond
    count = rule._count

    # --- graphsvc: start at the last period before jump_to ---
    stop_ordinal = stop.toordinal() if stop is not None else None
    if jump_to is not None and count is None and freq == YEARLY:
        periods = (jump_to.year - year) // interval
        if periods >= 1:  # periods are INTERVAL years apart, in DTSTART's month
            year += periods * interval
    elif jump_to is not None and count is None and freq == MONTHLY:
        periods = ((jump_to.year * 12 + jump_to.month) - (year * 12 + month)) // interval
        if periods >= 1:  # periods are INTERVAL months apart
            year, month = divmod(year * 12 + month - 1 + periods * interval, 12)
            month += 1
    elif jump_to is not None and count is None and freq in UNITS:
        begin = rule._dtstart.replace(tzinfo=None)
        step = UNITS[freq] * interval
        periods = (jump_to.replace(tzinfo=None) - begin) // step
        if freq == WEEKLY and periods >= 1:
            # the first period starts on DTSTART's day, every later one on the week's first day (WKST)
            week_start = begin - datetime.timedelta(days=(weekday - wkst) % 7)
            at = week_start + step * periods
            year, month, day, weekday = at.year, at.month, at.day, wkst
        elif periods >= 1:
            at = begin + step * periods
            year, month, day, hour, minute, second = at.year, at.month, at.day, at.hour, at.minute, at.second

    ii = _iterinfo(rule)
    ii.rebuild(year, month)

    getdayset = {YEARLY: ii.ydayset,
                 MONTHLY: ii.mdayset,
                 WEEKLY: ii.wdayset,
                 DAILY: ii.ddayset,
                 HOURLY: ii.ddayset,
                 MINUTELY: ii.ddayset,
                 SECONDLY: ii.ddayset}[freq]

    if freq < HOURLY:
        timeset = rule._timeset
    else:
        gettimeset = {HOURLY: ii.htimeset,
                      MINUTELY: ii.mtimeset,
                      SECONDLY: ii.stimeset}[freq]
        if ((freq >= HOURLY and
             rule._byhour and hour not in rule._byhour) or
            (freq >= MINUTELY and
             rule._byminute and minute not in rule._byminute) or
            (freq >= SECONDLY and
             rule._bysecond and second not in rule._bysecond)):
            timeset = ()
        else:
            timeset = gettimeset(hour, minute, second)

    total = 0
    count = rule._count
    while True:
        # Get dayset with the right frequency
        dayset, start, end = getdayset(year, month, day)
        # --- graphsvc: the work budget and the window's end, checked on every period ---
        budget.spend(1 + end - start)
        if stop_ordinal is not None and ii.yearordinal + start > stop_ordinal:
            return  # every later period starts after the window: nothing more to find

        # Do the "hard" work ;-)
        filtered = False
        for i in dayset[start:end]:
            if ((bymonth and ii.mmask[i] not in bymonth) or
                (byweekno and not ii.wnomask[i]) or
                (byweekday and ii.wdaymask[i] not in byweekday) or
                (ii.nwdaymask and not ii.nwdaymask[i]) or
                (byeaster and not ii.eastermask[i]) or
                ((bymonthday or bynmonthday) and
                 ii.mdaymask[i] not in bymonthday and
                 ii.nmdaymask[i] not in bynmonthday) or
                (byyearday and
                 ((i < ii.yearlen and i+1 not in byyearday and
                   -ii.yearlen+i not in byyearday) or
                  (i >= ii.yearlen and i+1-ii.yearlen not in byyearday and
                   -ii.nextyearlen+i-ii.yearlen not in byyearday)))):
                dayset[i] = None
                filtered = True

        # Output results
        if bysetpos and timeset:
            poslist = []
            for pos in bysetpos:
                if pos < 0:
                    daypos, timepos = divmod(pos, len(timeset))
                else:
                    daypos, timepos = divmod(pos-1, len(timeset))
                try:
                    i = [x for x in dayset[start:end]
                         if x is not None][daypos]
                    time = timeset[timepos]
                except IndexError:
                    pass
                else:
                    date = datetime.date.fromordinal(ii.yearordinal+i)
                    res = datetime.datetime.combine(date, time)
                    if res not in poslist:
                        poslist.append(res)
            poslist.sort()
            for res in poslist:
                if until and res > until:
                    return
                elif res >= rule._dtstart:
                    if count is not None:
                        count -= 1
                        if count < 0:
                            return
                    total += 1
                    yield res
        else:
            for i in dayset[start:end]:
                if i is not None:
                    date = datetime.date.fromordinal(ii.yearordinal + i)
                    for time in timeset:
                        res = datetime.datetime.combine(date, time)
                        if until and res > until:
                            return
                        elif res >= rule._dtstart:
                            if count is not None:
                                count -= 1
                                if count < 0:
                                    return

                            total += 1
                            yield res

        # Handle frequency and interval
        fixday = False
        if freq == YEARLY:
            year += interval
            if year > datetime.MAXYEAR:
                return
            ii.rebuild(year, month)
        elif freq == MONTHLY:
            month += interval
            if month > 12:
                div, mod = divmod(month, 12)
                month = mod
                year += div
                if month == 0:
                    month = 12
                    year -= 1
                if year > datetime.MAXYEAR:
                    return
            ii.rebuild(year, month)
        elif freq == WEEKLY:
            if wkst > weekday:
                day += -(weekday+1+(6-wkst))+rule._interval*7
            else:
                day += -(weekday-wkst)+rule._interval*7
            weekday = wkst
            fixday = True
        elif freq == DAILY:
            day += interval
            fixday = True
        elif freq == HOURLY:
            if filtered:
                # Jump to one iteration before next day
                hour += ((23-hour)//interval)*interval

            if byhour:
                ndays, hour = rule._rrule__mod_distance(value=hour,
                                                  byxxx=rule._byhour,
                                                  base=24)
            else:
                ndays, hour = divmod(hour+interval, 24)

            if ndays:
                day += ndays
                fixday = True

            timeset = gettimeset(hour, minute, second)
        elif freq == MINUTELY:
            if filtered:
                # Jump to one iteration before next day
                minute += ((1439-(hour*60+minute))//interval)*interval

            valid = False
            rep_rate = (24*60)
            for j in range(rep_rate // gcd(interval, rep_rate)):
                if byminute:
                    nhours, minute = \
                        rule._rrule__mod_distance(value=minute,
                                            byxxx=rule._byminute,
                                            base=60)
                else:
                    nhours, minute = divmod(minute+interval, 60)

                div, hour = divmod(hour+nhours, 24)
                if div:
                    day += div
                    fixday = True
                    filtered = False

                if not byhour or hour in byhour:
                    valid = True
                    break

            if not valid:
                raise ValueError('Invalid combination of interval and ' +
                                 'byhour resulting in empty rule.')

            timeset = gettimeset(hour, minute, second)
        elif freq == SECONDLY:
            if filtered:
                # Jump to one iteration before next day
                second += (((86399 - (hour * 3600 + minute * 60 + second))
                            // interval) * interval)

            rep_rate = (24 * 3600)
            valid = False
            for j in range(0, rep_rate // gcd(interval, rep_rate)):
                if bysecond:
                    nminutes, second = \
                        rule._rrule__mod_distance(value=second,
                                            byxxx=rule._bysecond,
                                            base=60)
                else:
                    nminutes, second = divmod(second+interval, 60)

                div, minute = divmod(minute+nminutes, 60)
                if div:
                    hour += div
                    div, hour = divmod(hour, 24)
                    if div:
                        day += div
                        fixday = True

                if ((not byhour or hour in byhour) and
                        (not byminute or minute in byminute) and
                        (not bysecond or second in bysecond)):
                    valid = True
                    break

            if not valid:
                raise ValueError('Invalid combination of interval, ' +
                                 'byhour and byminute resulting in empty' +
                                 ' rule.')

            timeset = gettimeset(hour, minute, second)

        if fixday and day > 28:
            daysinmonth = calendar.monthrange(year, month)[1]
            if day > daysinmonth:
                while day > daysinmonth:
                    day -= daysinmonth
                    month += 1
                    if month == 13:
                        month = 1
                        year += 1
                        if year > datetime.MAXYEAR:
                            return
                    daysinmonth = calendar.monthrange(year, month)[1]
                ii.rebuild(year, month)
