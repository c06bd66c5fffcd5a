// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.util.Arrays;

/**
 * An open-addressing long → long map (linear probing, backward-shift deletion), used as the index of the chunked
 * tables ({@link LongObjMap} → {@link P2m}, {@link FrameTable}).
 * {@link #MISSING} (-1) is returned for absent keys and may not be stored.
 */
final class LongLongMap {
    static final long MISSING = -1L;
    private static final long EMPTY = Long.MIN_VALUE;

    private long[] keys;
    private long[] values;
    private int size;

    LongLongMap() { this(16); }

    LongLongMap(int capacity) {
        int cap = Integer.highestOneBit(Math.max(16, capacity * 2 - 1));
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
    }

    int size() { return size; }

    /**
     * Fibonacci hashing: keys are chunk numbers, i.e. long sequential runs; identity hashing would merge the runs into
     * one probe cluster that every miss walks. Locality comes from the chunks, not from this index.
     */
    private static int mix(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32);
    }

    long get(long key) {
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return MISSING;
        }
    }

    boolean containsKey(long key) { return get(key) != MISSING; }

    void put(long key, long value) {
        if (key == EMPTY || value == MISSING) throw new IllegalArgumentException("reserved key/value");
        int mask = keys.length - 1;
        for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) { values[i] = value; return; }
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                if (++size * 4 > keys.length * 3) grow();
                return;
            }
        }
    }

    long remove(long key) {
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == EMPTY) return MISSING;
            if (k == key) break;
            i = (i + 1) & mask;
        }
        long old = values[i];
        // backward-shift deletion keeps probe chains intact without tombstones
        int hole = i;
        for (int j = (hole + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            int home = mix(keys[j]) & mask;
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
        size--;
        return old;
    }

    void clear() {
        Arrays.fill(keys, EMPTY);
        size = 0;
    }

    private void grow() {
        long[] ok = keys, ov = values;
        keys = new long[ok.length * 2];
        values = new long[ok.length * 2];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < ok.length; i++) if (ok[i] != EMPTY) put(ok[i], ov[i]);
    }

    interface Visitor { void visit(long key, long value); }

    /** Visits a snapshot of the entries (safe against modification by the visitor). */
    void forEach(Visitor v) {
        long[] k = keys.clone(), vals = values.clone();
        for (int i = 0; i < k.length; i++) if (k[i] != EMPTY) v.visit(k[i], vals[i]);
    }

    long[] keysSnapshot() {
        long[] out = new long[size];
        int n = 0;
        for (long k : keys) if (k != EMPTY) out[n++] = k;
        return out;
    }
}
