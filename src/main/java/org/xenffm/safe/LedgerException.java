// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.nio.file.Path;
import java.util.List;

/**
 * A {@link LedgerFile} that cannot be used: locked by another writer past the wait, unusable (missing directory, a
 * lock file that cannot be created), unreadable, or a save that failed. A failed save carries the facts Xen now holds
 * that the ledger file lacks ({@link #unsaved()}), because the hypervisor calls before it did happen.
 */
public final class LedgerException extends RuntimeException {
    /** What went wrong. */
    public enum Kind {
        /** Another process (or thread) holds the ledger's lock and the wait ran out. */
        BUSY,
        /** The ledger's directory is missing, or its lock file cannot be created or locked. */
        UNUSABLE,
        /** The ledger exists but cannot be read: permissions, not UTF-8, an I/O error. */
        UNREADABLE,
        /** Saving failed (disk full, read-only file system, …); the file holds the previous ledger. */
        SAVE_FAILED
    }

    /** What went wrong. */
    private final Kind kind;
    /** The ledger file. */
    private final Path file;
    /** The lines the file lacks or still has (SAVE_FAILED). */
    private final List<String> unsaved;

    LedgerException(Kind kind, Path file, String why, Throwable cause) { this(kind, file, why, cause, List.of()); }

    LedgerException(Kind kind, Path file, String why, Throwable cause, List<String> unsaved) {
        super(message(kind, file, why, unsaved), cause);
        this.kind = kind;
        this.file = file;
        this.unsaved = List.copyOf(unsaved);
    }

    private static String message(Kind kind, Path file, String why, List<String> unsaved) {
        String what = switch (kind) {
            case BUSY -> "the ledger " + file + " is busy: ";
            case UNUSABLE -> "cannot use the ledger " + file + ": ";
            case UNREADABLE -> "cannot read the ledger " + file + ": ";
            case SAVE_FAILED -> "saving the ledger " + file + " failed: ";
        };
        if (kind != Kind.SAVE_FAILED) return what + why;
        return what + why + (unsaved.isEmpty() ? "; it already held everything"
                : "; the file keeps the previous ledger, so it lacks what Xen now holds (+ added, - gone):\n  "
                + String.join("\n  ", unsaved));
    }

    /**
     * What went wrong.
     *
     * @return the kind
     */
    public Kind kind() { return kind; }

    /**
     * The ledger file.
     *
     * @return its absolute path
     */
    public Path file() { return file; }

    /**
     * For SAVE_FAILED: ledger lines the file lacks ("+ …") or still has although they are gone ("- …").
     *
     * @return those lines, empty for the other kinds
     */
    public List<String> unsaved() { return unsaved; }
}
