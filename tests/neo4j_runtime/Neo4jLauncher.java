// Starts an embedded Neo4j 5.26 Community DBMS with Bolt, HTTP and Neo4j Browser, for the graphsvc tests.
//
// Run with the single-file source launcher (JEP 330), no separate compile step:
//   java -cp '<cache>/lib/*' Neo4jLauncher.java <home> <boltPort> <httpPort>
// (tests/neo4j_runtime/server.py may also run a copy it compiled once into the cache; same code.)
//
// Environment:
//   GRAPHSVC_NEO4J_PASSWORD   password for user "neo4j"; empty or unset = auth disabled
//   GRAPHSVC_NEO4J_PAGECACHE  page cache size in MiB (default 64)
//
// Protocol with the parent process:
//   * prints one line "NEO4J READY bolt=<port> http=<port> auth=<on|off>" on stdout once Bolt and HTTP
//     are listening and the password is set;
//   * prints "NEO4J FAILED <exception>" and exits with status 1 if start-up throws;
//   * shuts the DBMS down and exits when stdin reaches end of file (the parent closed it or died),
//     or on SIGTERM/SIGINT (shutdown hook).
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.server.configuration.ConfigurableServerModules;
import org.neo4j.server.configuration.ServerSettings;

public final class Neo4jLauncher {
    private static final String HOST = "127.0.0.1";

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: java -cp 'lib/*' Neo4jLauncher.java <home> <boltPort> <httpPort>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int boltPort = Integer.parseInt(args[1]);
        int httpPort = Integer.parseInt(args[2]);
        String password = System.getenv().getOrDefault("GRAPHSVC_NEO4J_PASSWORD", "");
        long pageCacheMiB = Long.parseLong(System.getenv().getOrDefault("GRAPHSVC_NEO4J_PAGECACHE", "64"));
        boolean auth = !password.isEmpty();

        DatabaseManagementService dbms;
        try {
            Files.createDirectories(home);
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, boltPort))
                    .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, boltPort))
                    .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                    .setConfig(HttpConnector.enabled, true)
                    .setConfig(HttpConnector.listen_address, new SocketAddress(HOST, httpPort))
                    .setConfig(HttpConnector.advertised_address, new SocketAddress(HOST, httpPort))
                    .setConfig(HttpsConnector.enabled, false)
                    // the Community-relevant part of the default; BROWSER serves /browser/ from the
                    // neo4j-browser jar on the classpath
                    .setConfig(ServerSettings.http_enabled_modules, Set.of(
                            ConfigurableServerModules.BROWSER,
                            ConfigurableServerModules.TRANSACTIONAL_ENDPOINTS,
                            ConfigurableServerModules.QUERY_API_ENDPOINTS,
                            ConfigurableServerModules.UNMANAGED_EXTENSIONS))
                    .setConfig(ServerSettings.allow_telemetry, false)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheMiB * 1024 * 1024)
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                    .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                    .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, 16L * 1024 * 1024)
                    .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(2))
                    // Internal (unsupported) knobs: without them Bolt's Netty shutdown alone takes ~10 s.
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                    .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                    .build();
        } catch (Throwable t) {
            System.out.println("NEO4J FAILED " + t);
            t.printStackTrace();
            System.out.flush();
            System.exit(1);
            return;
        }

        AtomicBoolean stopped = new AtomicBoolean(false);
        Runnable shutdown = () -> {
            if (stopped.compareAndSet(false, true)) {
                try {
                    dbms.shutdown();
                } catch (Throwable t) {
                    t.printStackTrace();
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "neo4j-shutdown"));

        try {
            if (auth) {
                // The built-in user starts as neo4j/neo4j with "password change required"; set the real
                // password through the embedded API (runs with full privileges, no Bolt login needed).
                dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
            }
            GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
            ConnectorPortRegister ports = db.getDependencyResolver().resolveDependency(ConnectorPortRegister.class);
            int bolt = ports.getLocalAddress(ConnectorType.BOLT).getPort();
            int http = ports.getLocalAddress(ConnectorType.HTTP).getPort();
            System.out.println("NEO4J READY bolt=" + bolt + " http=" + http + " auth=" + (auth ? "on" : "off"));
            System.out.flush();
        } catch (Throwable t) {
            System.out.println("NEO4J FAILED " + t);
            t.printStackTrace();
            System.out.flush();
            shutdown.run();
            System.exit(1);
        }

        // Watchdog: stdin is a pipe held by the parent; EOF means "stop" (or the parent died).
        try {
            while (System.in.read() != -1) {
                // ignore input
            }
        } catch (Exception ignored) {
            // treat read errors like EOF
        }
        shutdown.run();
        System.exit(0);
    }
}
