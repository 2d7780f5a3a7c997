// A non-unique index for the stand-in, which otherwise keeps none: mongo-java-server 1.47.0 logs
// "adding secondary index ... is not yet implemented. ignoring" and reads the whole collection for
// every query on such a field. The outbox and retention sweeps of every replica look for due
// accounts (`{outboxDueAt: {$lte: now}}`, `{purgeAt: {$lte: now}, ...}`) every few seconds, so on
// the stand-in their cost grew with the number of accounts even when nothing was due.
//
// The index is held in memory, ordered by its first key, and filled from the documents when the
// server opens the collection (AbstractMongoCollection.addIndex fills an index that is empty), so
// it can never disagree with the H2 file and nothing about the file's format changes. For a
// condition on that key (a plain value, $eq, $gt, $gte, $lt, $lte, or {$exists: true}) it gives a
// superset of the documents that match; the collection then matches each of them against the
// whole filter, so results are exactly the library's. Only the first key narrows: a compound
// index serves queries on its prefix, as MongoDB's do, and sorts on the rest in memory.
//
// In the library's package, beside KeyedH2Backend.
package de.bwaldvogel.mongo.backend.h2;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

final class OrderedSecondaryIndex extends Index<Object> {

    private static final String ID_FIELD = "_id";
    private static final Set<String> COMPARISONS = Set.of("$eq", "$gt", "$gte", "$lt", "$lte");

    private final String field;
    /** The positions of the documents that have a value with a place in the order, by that value. */
    private final NavigableMap<Object, Set<Object>> positionsByValue = new TreeMap<>(ValueComparator.asc());
    /** Documents whose value has no single place in that order (null, an array, a sub-document): always candidates. */
    private final Set<Object> unordered = new LinkedHashSet<>();
    /** Every indexed document's position, by its _id: `remove(document)` is given no position. */
    private final Map<Object, Object> positionsById = new HashMap<>();

    OrderedSecondaryIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.field = keys.get(0).getKey();
    }

    @Override
    public synchronized Object getPosition(Document document) {
        return positionsById.get(document.get(ID_FIELD));
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Object> collection) {
        // Not unique: nothing to refuse.
    }

    @Override
    public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
        positionsById.put(document.get(ID_FIELD), position);
        file(document, position);
    }

    @Override
    public synchronized Object remove(Document document) {
        Object position = positionsById.remove(document.get(ID_FIELD));
        if (position != null) {
            unfile(document, position);
        }
        return position;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
        // Not unique: nothing to refuse.
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, Object position, MongoCollection<Object> collection) {
        unfile(oldDocument, position);
        file(newDocument, position);
    }

    @Override
    public synchronized boolean canHandle(Document query) {
        if (!query.containsKey(field)) {
            return false;
        }
        Object condition = query.get(field);
        if (!(condition instanceof Document)) {
            return isOrdered(condition);
        }
        Document operators = (Document) condition;
        if (operators.isEmpty() || BsonRegularExpression.isRegularExpression(condition)) {
            return false;
        }
        for (Map.Entry<String, Object> operator : operators.entrySet()) {
            boolean comparison = COMPARISONS.contains(operator.getKey()) && isOrdered(operator.getValue());
            boolean exists = operator.getKey().equals("$exists") && Utils.isTrue(operator.getValue());
            if (!comparison && !exists) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized Iterable<Object> getPositions(Document query) {
        NavigableMap<Object, Set<Object>> range = positionsByValue;
        Object condition = query.get(field);
        if (condition instanceof Document) {
            for (Map.Entry<String, Object> operator : ((Document) condition).entrySet()) {
                Object value = operator.getValue();
                switch (operator.getKey()) {
                    case "$eq" -> range = range.subMap(value, true, value, true);
                    case "$gt" -> range = range.tailMap(value, false);
                    case "$gte" -> range = range.tailMap(value, true);
                    case "$lt" -> range = range.headMap(value, false);
                    case "$lte" -> range = range.headMap(value, true);
                    default -> { } // $exists: true, every indexed document
                }
            }
        } else {
            range = range.subMap(condition, true, condition, true);
        }
        // A copy: the caller may change the collection while it reads the documents.
        List<Object> positions = new ArrayList<>();
        range.values().forEach(positions::addAll);
        positions.addAll(unordered);
        return positions;
    }

    @Override
    public synchronized long getCount() {
        return positionsById.size();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public synchronized void drop() {
        positionsByValue.clear();
        unordered.clear();
        positionsById.clear();
    }

    /** A value that sorts to one place: a missing field, null, arrays and sub-documents do not. */
    private static boolean isOrdered(Object value) {
        return !Missing.isNullOrMissing(value) && !(value instanceof Document) && !(value instanceof Collection)
            && !BsonRegularExpression.isRegularExpression(value);
    }

    private void file(Document document, Object position) {
        Object value = Utils.getSubdocumentValue(document, field);
        if (value instanceof Missing) {
            return;
        }
        if (isOrdered(value)) {
            positionsByValue.computeIfAbsent(value, v -> new LinkedHashSet<>()).add(position);
        } else {
            unordered.add(position);
        }
    }

    private void unfile(Document document, Object position) {
        Object value = Utils.getSubdocumentValue(document, field);
        if (value instanceof Missing) {
            return;
        }
        if (isOrdered(value)) {
            Set<Object> positions = positionsByValue.get(value);
            if (positions != null && positions.remove(position) && positions.isEmpty()) {
                positionsByValue.remove(value);
            }
        } else {
            unordered.remove(position);
        }
    }
}
