// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.util.Arrays;

/**
 * A sparse long-indexed table stored as 512-entry chunks (like a p2m's leaf pages): dense runs of gfns or mfns sit
 * next to each other in memory, so range operations over a million pages stay cache-friendly, and an untouched
 * range costs nothing.
 */
final class Chunked {
    static final int SHIFT = 9, SIZE = 1 << SHIFT, MASK = SIZE - 1;

    private Chunked() {}

    /** long values; {@link LongLongMap#MISSING} marks an absent entry. */
    static final class Longs {
        private LongObjMap<long[]> chunks = new LongObjMap<>();
        private int size;
        /** The last chunk used: runs of neighbouring keys skip the index. */
        private long lastKey = -1;
        private long[] last;

        int size() { return size; }

        private long[] chunk(long ck) {
            if (ck == lastKey) return last;
            long[] c = chunks.get(ck);
            if (c != null) { lastKey = ck; last = c; }
            return c;
        }

        long get(long key) {
            long[] c = chunk(key >>> SHIFT);
            return c == null ? LongLongMap.MISSING : c[(int) (key & MASK)];
        }

        void put(long key, long value) {
            long[] c = chunk(key >>> SHIFT);
            if (c == null) {
                c = new long[SIZE];
                Arrays.fill(c, LongLongMap.MISSING);
                chunks.put(key >>> SHIFT, c);
            }
            int i = (int) (key & MASK);
            if (c[i] == LongLongMap.MISSING) size++;
            c[i] = value;
        }

        void remove(long key) {
            long[] c = chunk(key >>> SHIFT);
            if (c == null) return;
            int i = (int) (key & MASK);
            if (c[i] != LongLongMap.MISSING) {
                c[i] = LongLongMap.MISSING;
                size--;
            }
        }

        void clear() {
            chunks = new LongObjMap<>();
            size = 0;
            lastKey = -1;
            last = null;
        }

        long[] keys() {
            long[] out = new long[size];
            int[] n = {0};
            chunks.forEach((k, c) -> {
                for (int i = 0; i < SIZE; i++) if (c[i] != LongLongMap.MISSING) out[n[0]++] = (k << SHIFT) | i;
            });
            return out;
        }
    }

    /** Object values; null marks an absent entry. */
    static final class Objects<V> {
        private final LongObjMap<Object[]> chunks = new LongObjMap<>();
        private int size;
        private long lastKey = -1;
        private Object[] last;

        int size() { return size; }

        private Object[] chunk(long ck) {
            if (ck == lastKey) return last;
            Object[] c = chunks.get(ck);
            if (c != null) { lastKey = ck; last = c; }
            return c;
        }

        @SuppressWarnings("unchecked")
        V get(long key) {
            Object[] c = chunk(key >>> SHIFT);
            return c == null ? null : (V) c[(int) (key & MASK)];
        }

        void put(long key, V value) {
            Object[] c = chunk(key >>> SHIFT);
            if (c == null) chunks.put(key >>> SHIFT, c = new Object[SIZE]);
            int i = (int) (key & MASK);
            if (c[i] == null) size++;
            c[i] = value;
        }

        void remove(long key) {
            Object[] c = chunk(key >>> SHIFT);
            if (c == null) return;
            int i = (int) (key & MASK);
            if (c[i] != null) {
                c[i] = null;
                size--;
            }
        }

        @SuppressWarnings("unchecked")
        java.util.List<V> values() {
            java.util.List<V> out = new java.util.ArrayList<>(size);
            for (Object[] c : chunks.values()) for (Object o : c) if (o != null) out.add((V) o);
            return out;
        }
    }
}
