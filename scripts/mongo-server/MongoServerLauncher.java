// Starts mongo-java-server on 127.0.0.1:<port>, the native stack's MongoDB stand-in.
//
//   java -cp <classes>:<lib>/* MongoServerLauncher <port> [<h2 file>]
//
// With a file, data lives in that H2 MVStore file and survives a restart; without one, in memory.
// The library's own H2 main is fixed to localhost:27017, hence this launcher.
import java.util.List;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.KeyedH2Backend;

public final class MongoServerLauncher {
    private static final String HOST = "127.0.0.1";

    /**
     * The mongodb driver 7 refuses servers below wire version 9 (MongoDB 4.4). The library's
     * newest, "5.0", announces wire version 8; the commands the services send (CRUD,
     * findAndModify, createIndexes, ping) are the same at 9, and the store checks of
     * services/auth-api/test/store-isolation.test.ts run against this server.
     */
    private static final MongoVersion WIRE_4_4 = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: MongoServerLauncher <port> [<h2 file>]");
            System.exit(2);
        }
        // Before the first logger exists; -D on the command line still wins.
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");

        int port = Integer.parseInt(args[0]);
        String file = args.length == 2 ? args[1] : null;
        // H2 in both cases (a null file keeps it in memory), with keyed lookups (KeyedH2Backend.java).
        MongoBackend backend = new KeyedH2Backend(file).version(WIRE_4_4);
        MongoServer server = new MongoServer(backend);
        server.bind(HOST, port);

        // SIGTERM and Ctrl-C run this: close the clients, then the backend, which writes the H2 file out completely.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdownNow();
            System.out.println("mongo-java-server stopped");
        }, "shutdown"));
        System.out.printf("mongo-java-server listening on %s:%d (%s)%n", HOST, port, file == null ? "in memory" : "H2 file " + file);
    }
}
