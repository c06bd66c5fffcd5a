// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

/**
 * A ledger file that {@link Ledger#read} refuses: a record with a malformed or missing field, an unknown record, a
 * declaration for an undeclared view. It names the line; nothing in the file is guessed. A user's error (a hand-edited
 * or foreign file), so the CLI reports it as a usage error.
 */
public final class LedgerFormatException extends IllegalArgumentException {
    /** The 1-based number of the offending line. */
    private final int line;

    /**
     * A refused line.
     *
     * @param line 1-based line number
     * @param text the line as read
     * @param why what is wrong with it
     */
    public LedgerFormatException(int line, String text, String why) {
        super("ledger line " + line + " (" + text.strip() + "): " + why);
        this.line = line;
    }

    /**
     * The offending line.
     *
     * @return its 1-based number
     */
    public int line() { return line; }
}
