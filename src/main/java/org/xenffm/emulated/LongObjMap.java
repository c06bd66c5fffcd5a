// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** long → object map over {@link LongLongMap} (key → slot index) and a slot array with a free list. */
final class LongObjMap<V> {
    private final LongLongMap index = new LongLongMap();
    private Object[] slots = new Object[16];
    private int[] free = new int[16];
    private int freeTop;
    private int used;

    int size() { return index.size(); }

    @SuppressWarnings("unchecked")
    V get(long key) {
        long i = index.get(key);
        return i == LongLongMap.MISSING ? null : (V) slots[(int) i];
    }

    void put(long key, V value) {
        long i = index.get(key);
        if (i != LongLongMap.MISSING) { slots[(int) i] = value; return; }
        int slot;
        if (freeTop > 0) slot = free[--freeTop];
        else {
            if (used == slots.length) slots = Arrays.copyOf(slots, used * 2);
            slot = used++;
        }
        slots[slot] = value;
        index.put(key, slot);
    }

    @SuppressWarnings("unchecked")
    V remove(long key) {
        long i = index.remove(key);
        if (i == LongLongMap.MISSING) return null;
        V old = (V) slots[(int) i];
        slots[(int) i] = null;
        if (freeTop == free.length) free = Arrays.copyOf(free, freeTop * 2);
        free[freeTop++] = (int) i;
        return old;
    }

    interface Visitor<V> { void visit(long key, V value); }

    @SuppressWarnings("unchecked")
    void forEach(Visitor<V> v) {
        index.forEach((k, slot) -> v.visit(k, (V) slots[(int) slot]));
    }

    @SuppressWarnings("unchecked")
    List<V> values() {
        List<V> out = new ArrayList<>(size());
        for (int i = 0; i < used; i++) if (slots[i] != null) out.add((V) slots[i]);
        return out;
    }
}
