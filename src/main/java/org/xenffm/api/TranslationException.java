// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.List;

/**
 * A guest-virtual address that does not translate: an entry without the present bit (or with a reserved bit set),
 * or a non-canonical address. Names the level, the table's gfn, the entry index and value, and carries the walk up
 * to and including the failing entry.
 *
 * @serial exclude
 */
public final class TranslationException extends RuntimeException {
    /** Why the walk stopped. */
    public enum Reason {
        /** An entry without the present bit. */
        NOT_PRESENT,
        /** An entry with a reserved bit set. */
        RESERVED_BIT,
        /** An address that is not canonical for the paging mode. */
        NON_CANONICAL
    }

    private final long va;
    private final Reason reason;
    private final List<Translation.Level> walk;

    /**
     * A failed translation.
     *
     * @param va     the address
     * @param reason why the walk stopped
     * @param walk   the entries read, the failing one last (empty for a non-canonical address)
     */
    public TranslationException(long va, Reason reason, List<Translation.Level> walk) {
        super(message(va, reason, walk));
        this.va = va;
        this.reason = reason;
        this.walk = List.copyOf(walk);
    }

    private static String message(long va, Reason reason, List<Translation.Level> walk) {
        if (walk.isEmpty()) return String.format("va %#x: %s", va, reason.name().toLowerCase().replace('_', ' '));
        Translation.Level l = walk.getLast();
        return String.format("va %#x: %s at level %d (%s), table gfn %#x, entry %d = %#x", va,
                reason.name().toLowerCase().replace('_', ' '), l.level(), l.name(), l.tableGpa() >>> 12, l.index(), l.entry());
    }

    /** {@return the address that did not translate} */
    public long va() { return va; }

    /** {@return why the walk stopped} */
    public Reason reason() { return reason; }

    /** {@return the level whose entry stopped the walk (0 for a non-canonical address)} */
    public int level() { return walk.isEmpty() ? 0 : walk.getLast().level(); }

    /** {@return the gfn of the table holding the failing entry, or null for a non-canonical address} */
    public Gfn tableGfn() { return walk.isEmpty() ? null : Gfn.of(walk.getLast().tableGpa() >>> 12); }

    /** {@return the failing entry's value (0 for a non-canonical address)} */
    public long entry() { return walk.isEmpty() ? 0 : walk.getLast().entry(); }

    /** {@return the entry's index in its table (-1 for a non-canonical address)} */
    public int index() { return walk.isEmpty() ? -1 : walk.getLast().index(); }

    /** {@return the entries read, the failing one last} */
    public List<Translation.Level> walk() { return walk; }
}
