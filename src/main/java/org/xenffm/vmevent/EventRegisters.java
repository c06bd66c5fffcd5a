// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;

/**
 * The registers of a request, over the consumer's private copy of the whole 400-byte ring entry (no second copy):
 * the response to that request echoes the entry's {@code u} union from it.
 */
final class EventRegisters extends X86Registers {
    private final long[] entry;

    EventRegisters(long[] entry) {
        super(entry, (int) (VmEventAbi.DATA / 8));
        this.entry = entry;
    }

    /** The whole request copy; must not change. */
    long[] entry() { return entry; }

    /** The request entry behind {@code regs}, or null for registers that did not come from a request. */
    static long[] entryOf(X86Registers regs) { return regs instanceof EventRegisters e ? e.entry : null; }
}
