"""Intro requests in GraphQL: ``requestIntro``, ``updateIntroRequest``, ``introRequests``,
``introRequest``, ``followUps`` and the ``introRequestChanged`` subscription (docs/intro-requests.md)."""
