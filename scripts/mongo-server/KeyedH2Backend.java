// mongo-java-server's H2 storage, with three changes: writes are in the file before they are
// answered, non-unique indexes exist, and filters that name a unique key and more use it.
//
// Writes: the library leaves its MVStore to commit in the background, about once a second, so a
// `kill -9` of the server lost what it had acknowledged in that second (of 40 registrations
// answered 201 just before it, 19, 27 and 37 were gone in three tries). Worse, that background
// commit could land in the middle of a write, between a document and its index entries, and a
// kill then left a file whose `_id` index missed a document that was there (every later delete
// of it failed with "Found no position"). Here the store commits only when no write is in the
// middle of its work, and every command that can write commits before its answer leaves. A
// commit writes the new chunk to the file, into the kernel's page cache, so it survives the death
// of the process; it does not fsync (MVStore.sync()), so a machine losing power can still lose
// the last writes (README, "Running Latchkey locally").
//
// Non-unique indexes: OrderedSecondaryIndex.java.
//
// Unique keys: mongo-java-server uses a unique index only when a filter names exactly that index's keys:
// `{_id: id}` is a lookup, but `{_id: id, status: 'pending'}` reads the whole collection. The
// data layer's writes are guarded (`findOneAndUpdate({_id, status, ...})`), so on the stand-in
// every one of them scanned every account. Here a filter that gives every key of a unique index
// as a plain value is narrowed to that index's entry, and the documents found are still matched
// against the whole filter, so results are exactly the library's; only the scan goes. MongoDB
// itself plans such queries on the index anyway.
//
// In the library's package: H2Database keeps the names of its storage maps package-private.
package de.bwaldvogel.mongo.backend.h2;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.h2.mvstore.MVStore;

import io.netty.channel.Channel;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

public final class KeyedH2Backend extends H2Backend {

    /** The commands that can change data (lower case), for the library's dispatch ignores case too. */
    private static final Set<String> WRITE_COMMANDS = Set.of("insert", "update", "delete", "findandmodify",
        "create", "createindexes", "drop", "dropindexes", "dropdatabase", "renamecollection");

    /** What the background work rewrites: chunks less full than this (H2's own default is 90). */
    private static final int COMPACT_BELOW_FILL_RATE = 50;
    private static final int COMPACT_WRITE_BYTES = 16 * 1024 * 1024;
    private static final long MAINTENANCE_SECONDS = 10;

    /** Writes share it while they change the maps; a commit takes it alone, so it never sees half a write. */
    private final ReadWriteLock writes = new ReentrantReadWriteLock(true);
    /** What H2's own background thread did, compaction, under the same lock. */
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "h2-maintenance");
        thread.setDaemon(true);
        return thread;
    });

    /** A file keeps the data across restarts; null keeps it in memory. */
    public KeyedH2Backend(String fileName) {
        // No commit of H2's own, neither timed nor when its write buffer fills: both run in the
        // middle of writes. Commits happen in handleCommand and maintain() only.
        super(new MVStore.Builder().fileName(fileName).autoCommitDisabled().autoCommitBufferSize(0).open());
        maintenance.scheduleWithFixedDelay(this::maintain, MAINTENANCE_SECONDS, MAINTENANCE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new KeyedH2Database(databaseName, getMvStore(), getCursorRegistry());
    }

    /** Every command comes through here, OP_MSG and OP_QUERY alike, and its answer is sent after it returns. */
    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        if (!WRITE_COMMANDS.contains(command.toLowerCase(Locale.ROOT))) {
            return super.handleCommand(channel, databaseName, command, query);
        }
        writes.readLock().lock();
        try {
            return super.handleCommand(channel, databaseName, command, query);
        } finally {
            writes.readLock().unlock();
            // Also when it failed: a multi-document write may have applied part of itself.
            commitWholeWrites();
        }
    }

    private void commitWholeWrites() {
        writes.writeLock().lock();
        try {
            commit();
        } finally {
            writes.writeLock().unlock();
        }
    }

    private void maintain() {
        writes.writeLock().lock();
        try {
            MVStore store = getMvStore();
            if (store.isClosed()) {
                return;
            }
            if (!isInMemory() && store.getFillRate() < COMPACT_BELOW_FILL_RATE) {
                store.compact(COMPACT_BELOW_FILL_RATE, COMPACT_WRITE_BYTES);
            }
            commit();
        } catch (RuntimeException e) {
            // Compaction is housekeeping: the next round tries again, and the data is unharmed.
            System.err.println("h2-maintenance: " + e);
        } finally {
            writes.writeLock().unlock();
        }
    }

    @Override
    public void close() {
        maintenance.shutdownNow();
        writes.writeLock().lock();
        try {
            super.close();
        } finally {
            writes.writeLock().unlock();
        }
    }

    private static final class KeyedH2Database extends H2Database {

        KeyedH2Database(String databaseName, MVStore mvStore, CursorRegistry cursorRegistry) {
            super(databaseName, mvStore, cursorRegistry);
        }

        /** As H2Database opens a collection (same maps, same names), but with keyed lookups. */
        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            // Called from H2Database's own constructor, before a field of ours could be set.
            MVStore mvStore = storeOf(this);
            String fullCollectionName = getFullCollectionNamespace(collectionName);
            return new KeyedH2Collection(this, collectionName, options,
                mvStore.openMap(DATABASES_PREFIX + fullCollectionName), mvStore.openMap("meta." + fullCollectionName), cursorRegistry);
        }

        /** The library's own ignores the index (EmptyIndex) with a warning. */
        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            return new OrderedSecondaryIndex(indexName, keys, sparse);
        }

        private static MVStore storeOf(H2Database database) {
            try {
                Field field = H2Database.class.getDeclaredField("mvStore");
                field.setAccessible(true);
                return (MVStore) field.get(database);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this launcher expects mongo-java-server's H2Database of 1.47.0", e);
            }
        }
    }

    private static final class KeyedH2Collection extends H2Collection {

        KeyedH2Collection(MongoDatabase database, String collectionName, CollectionOptions options,
                          org.h2.mvstore.MVMap<Object, Document> dataMap, org.h2.mvstore.MVMap<String, Object> metaMap,
                          CursorRegistry cursorRegistry) {
            super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
        }

        /**
         * The library answers with the stored document itself (or with a projection that still
         * shares its sub-documents), which a later write to that document changes in place: an
         * answer encoded after such a write showed that write's result, not its own (a wrong
         * code answered "exhausted" because the next guess's count had landed). The answer waits
         * for its commit (handleCommand), which left room for that, so it is copied here, while
         * the collection is still locked.
         */
        @Override
        public synchronized Document findAndModify(Document query) {
            return super.findAndModify(query).cloneDeeply();
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize, Document fieldSelector) {
            for (Index<Object> index : getIndexes()) {
                Document keyOnly = keyOnlyQuery(index, query);
                if (keyOnly != null) {
                    return matchDocuments(query, index.getPositions(keyOnly), orderBy, numberToSkip, limit, batchSize, fieldSelector);
                }
            }
            return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }

        /** The part of the filter a unique index can answer, when the filter holds more than that; null otherwise. */
        private static Document keyOnlyQuery(Index<Object> index, Document query) {
            if (!index.isUnique() || query.keySet().size() <= index.getKeys().size()) {
                return null;
            }
            Document keyOnly = new Document();
            for (IndexKey key : index.getKeys()) {
                Object value = query.get(key.getKey());
                boolean plain = value != null && !(value instanceof Document) && !(value instanceof Collection)
                    && !BsonRegularExpression.isRegularExpression(value);
                if (!plain) {
                    return null;
                }
                keyOnly.put(key.getKey(), value);
            }
            return keyOnly;
        }
    }
}
