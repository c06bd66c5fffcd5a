// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;

/**
 * The registers of a request, over the words of its {@link VmEvent} (no second copy): the ring's reused private copy
 * of the current request for a handler's event, or the event's own copy.
 */
final class EventRegisters extends X86Registers {
    EventRegisters(long[] entry) {
        super(entry, (int) (VmEventAbi.DATA / 8));
    }
}
