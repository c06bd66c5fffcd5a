// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Builds genuine v7 request bytes the way hvm/monitor.c + monitor_traps fill them (tests only). */
final class Requests {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    final MemorySegment bytes = MemorySegment.ofArray(new long[SLOT_SIZE / 8]);

    private Requests(int reason, int vcpu, int flags) {
        bytes.set(U32, VERSION_OFF, VERSION);
        bytes.set(U32, FLAGS, flags);
        bytes.set(U32, REASON, reason);
        bytes.set(U32, VCPU_ID, vcpu);
        bytes.set(U64, DATA + 152, 0xffff_f800_0000_1000L + vcpu); // rip, so registers are checked too
        bytes.set(U64, DATA + 256, ~0L);                          // vmtrace_pos: off
    }

    static Requests of(int reason, int vcpu, int flags) { return new Requests(reason, vcpu, flags); }

    /** A synchronous (vCPU paused) request. */
    static Requests sync(int reason, int vcpu) { return new Requests(reason, vcpu, FLAG_VCPU_PAUSED); }

    Requests u64(long uOff, long v) { bytes.set(U64, U + uOff, v); return this; }
    Requests u32(long uOff, int v) { bytes.set(U32, U + uOff, v); return this; }
    Requests u16(long uOff, int v) { bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, U + uOff, (short) v); return this; }
    Requests u8(long uOff, int v) { bytes.set(ValueLayout.JAVA_BYTE, U + uOff, (byte) v); return this; }
    Requests reg(long dataOff, long v) { bytes.set(U64, DATA + dataOff, v); return this; }
    Requests raw(long off, int v) { bytes.set(U32, off, v); return this; }
    Requests view(int idx) {
        bytes.set(ValueLayout.JAVA_SHORT_UNALIGNED, ALTP2M_IDX, (short) idx);
        bytes.set(U32, FLAGS, bytes.get(U32, FLAGS) | FLAG_ALTERNATE_P2M);
        return this;
    }

    /** A write fault on VMX as observed on 4.17.5: flags R|W|GLA_VALID|FAULT_WITH_GLA = 0x1b. */
    static Requests memAccessWrite(int vcpu, long gfn, int offset, long gla) {
        return sync(REASON_MEM_ACCESS, vcpu).u64(MEM_ACCESS_GFN, gfn).u64(MEM_ACCESS_OFFSET, offset)
                .u64(MEM_ACCESS_GLA, gla).u32(MEM_ACCESS_FLAGS, 0x1b);
    }
}
