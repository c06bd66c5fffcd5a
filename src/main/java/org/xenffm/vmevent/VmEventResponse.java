// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;
import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import org.xenffm.api.ViewId;

/**
 * What to tell Xen about one request: an immutable value built from {@link #CONTINUE} with the actions to take, e.g.
 * {@code CONTINUE.switchToView(v).toggleSinglestep()}. Encoded as xen-access does: version 7, the request's vcpu_id
 * and reason echoed, and VM_EVENT_FLAG_VCPU_PAUSED echoed so a paused vCPU always resumes; Xen applies the action
 * flags in the order of vm_event.c:vm_event_resume (docs/xen-semantics.md §7.6).
 */
public final class VmEventResponse {
    /** Let the vCPU continue (unpaused if it was paused for this event). */
    public static final VmEventResponse CONTINUE = new VmEventResponse(0, 0, 0, null, null, null);

    private static final MemorySegment ZEROS = MemorySegment.ofArray(new long[SLOT_SIZE / 8]);
    private static final int DATA_USERS = FLAG_SET_REGISTERS | FLAG_SET_EMUL_READ_DATA | FLAG_SET_EMUL_INSN_DATA;

    private final int flags;          // action flags; VCPU_PAUSED is added from the request when encoding
    private final int view;           // altp2m_idx for ALTERNATE_P2M
    private final int fastStepView;   // u.fast_singlestep.p2midx for FAST_SINGLESTEP
    private final X86Registers regs;  // data.regs.x86 for SET_REGISTERS
    private final byte[] readData;    // data.emul.read for SET_EMUL_READ_DATA
    private final byte[] insnData;    // data.emul.insn for SET_EMUL_INSN_DATA

    private VmEventResponse(int flags, int view, int fastStepView, X86Registers regs, byte[] readData,
                            byte[] insnData) {
        if (Integer.bitCount(flags & DATA_USERS) > 1)
            throw new IllegalArgumentException("set registers, emul read data and emul insn data share the data "
                    + "union: a response can carry only one of them");
        if ((flags & FLAG_TOGGLE_SINGLESTEP) != 0 && (flags & FLAG_FAST_SINGLESTEP) != 0)
            throw new IllegalArgumentException("toggle singlestep and fast singlestep exclude each other "
                    + "(Xen ignores fast singlestep when toggling)");
        this.flags = flags;
        this.view = view;
        this.fastStepView = fastStepView;
        this.regs = regs;
        this.readData = readData;
        this.insnData = insnData;
    }

    private VmEventResponse plus(int f) {
        return new VmEventResponse(flags | f, view, fastStepView, regs, readData, insnData);
    }

    /** {@return this response plus VM_EVENT_FLAG_EMULATE: emulate the faulting instruction with the page's permissions left as they are} */
    public VmEventResponse emulate() { return plus(FLAG_EMULATE); }

    /** {@return this response plus EMULATE | EMULATE_NOWRITE: emulate, discarding the instruction's writes} */
    public VmEventResponse emulateNoWrite() { return plus(FLAG_EMULATE | FLAG_EMULATE_NOWRITE); }

    /**
     * EMULATE | SET_EMUL_READ_DATA: emulate and make the instruction read {@code data}.
     *
     * @param data the bytes the instruction reads, at most 340
     * @return this response plus the flags and the data
     * @throws IllegalArgumentException more than 340 bytes
     */
    public VmEventResponse emulateWithReadData(byte[] data) {
        if (data.length > EMUL_READ_MAX)
            throw new IllegalArgumentException("emul read data holds at most " + EMUL_READ_MAX + " bytes");
        return new VmEventResponse(flags | FLAG_EMULATE | FLAG_SET_EMUL_READ_DATA, view, fastStepView, regs,
                data.clone(), insnData);
    }

    /**
     * SET_EMUL_INSN_DATA: the instruction bytes to emulate (software breakpoint responses).
     *
     * @param insn exactly 16 bytes
     * @return this response plus the flag and the bytes
     * @throws IllegalArgumentException not 16 bytes
     */
    public VmEventResponse emulInsnData(byte[] insn) {
        if (insn.length != EMUL_INSN_SIZE) throw new IllegalArgumentException("insn data is exactly 16 bytes");
        return new VmEventResponse(flags | FLAG_SET_EMUL_INSN_DATA, view, fastStepView, regs, readData,
                insn.clone());
    }

    /** {@return this response plus VM_EVENT_FLAG_DENY: cancel the pending CR or MSR write (WriteCtrlreg / MovToMsr events)} */
    public VmEventResponse deny() { return plus(FLAG_DENY); }

    /** {@return this response plus VM_EVENT_FLAG_TOGGLE_SINGLESTEP: flip single-stepping of this vCPU} */
    public VmEventResponse toggleSinglestep() { return plus(FLAG_TOGGLE_SINGLESTEP); }

    /**
     * VM_EVENT_FLAG_FAST_SINGLESTEP: step one instruction, then switch to {@code after} without an event.
     *
     * @param after the view to switch to
     * @return this response plus the flag
     */
    public VmEventResponse fastSinglestep(ViewId after) {
        return new VmEventResponse(flags | FLAG_FAST_SINGLESTEP, view, after.value(), regs, readData, insnData);
    }

    /**
     * VM_EVENT_FLAG_ALTERNATE_P2M: switch the vCPU to {@code target} (ignored by Xen if inactive; visibility is
     * not checked).
     *
     * @param target the view
     * @return this response plus the flag
     */
    public VmEventResponse switchToView(ViewId target) {
        return new VmEventResponse(flags | FLAG_ALTERNATE_P2M, target.value(), fastStepView, regs, readData,
                insnData);
    }

    /**
     * VM_EVENT_FLAG_SET_REGISTERS: load GPRs, rflags and rip from {@code r} on resume.
     *
     * @param r the registers, e.g. the event's with RIP moved past the instruction
     * @return this response plus the flag
     */
    public VmEventResponse setRegisters(X86Registers r) {
        return new VmEventResponse(flags | FLAG_SET_REGISTERS, view, fastStepView, Objects.requireNonNull(r),
                readData, insnData);
    }

    /**
     * RESET_FORK_STATE / RESET_FORK_MEMORY: reset a fork child (mem_sharing fork_reset) before resuming; ignored on
     * a domain that is not a fork.
     *
     * @param state  reset the vCPU state
     * @param memory reset the memory
     * @return this response plus the flags
     */
    public VmEventResponse resetFork(boolean state, boolean memory) {
        return plus((state ? FLAG_RESET_FORK_STATE : 0) | (memory ? FLAG_RESET_FORK_MEMORY : 0));
    }

    /** {@return this response plus GET_NEXT_INTERRUPT: arm a one-shot {@link VmEvent.Interrupt} event for this vCPU} */
    public VmEventResponse getNextInterrupt() { return plus(FLAG_GET_NEXT_INTERRUPT); }

    /** {@return this response plus RESET_VMTRACE: reset the vCPU's vmtrace buffer position} */
    public VmEventResponse resetVmtrace() { return plus(FLAG_RESET_VMTRACE); }

    /** {@return the VM_EVENT_FLAG_* action bits (without VCPU_PAUSED, which is echoed from the request)} */
    public int flags() { return flags; }

    /** The words of a slot's header and {@code u} union: what every response writes (7 of the slot's 50). */
    static final int HEAD_WORDS = (int) ((U + U_SIZE) / 8);

    static {
        // encode writes the header as two whole words and copies u word by word
        if (VERSION_OFF != 0 || FLAGS != 4 || REASON != 8 || VCPU_ID != 12 || ALTP2M_IDX != 16 || U % 8 != 0
                || U_SIZE % 8 != 0)
            throw new ExceptionInInitializerError("unexpected vm_event_response_t header layout");
    }

    /**
     * Encodes this response to a request into the ring slot that starts at word {@code first} of {@code slots} (the
     * ring's private staging copy of the slot area; {@code slotsSeg} is the same array as a segment): the header and
     * {@code u} always, the {@code data} union only for the actions that carry data (SET_REGISTERS,
     * SET_EMUL_READ_DATA, SET_EMUL_INSN_DATA). {@code request} is the request's private copy (null when acknowledging
     * an entry that could not be decoded). The common response is seven array stores and inlines.
     *
     * @return whether the {@code data} union was written (then the whole slot goes to the page, else only the head)
     */
    boolean encode(long[] slots, int first, MemorySegment slotsSeg, int vcpuId, int reason, int requestFlags,
                   long[] request) {
        // every byte of the header and u is written (altp2m_idx with its pad as one 8-byte word); the data union
        // only when an action uses it — Xen reads it only then — saving the 344-byte clear xen-access does
        slots[first + (int) (ALTP2M_IDX / 8)] = 0L;
        // echo the request's u union as xen-access does (rsp.u.mem_access = req.u.mem_access): Xen's EMULATE check
        // reads gfn and access flags from the response (mem_access.c:p2m_mem_access_emulate_check)
        if (request != null) System.arraycopy(request, (int) (U / 8), slots, first + (int) (U / 8), U_SIZE / 8);
        else java.util.Arrays.fill(slots, first + (int) (U / 8), first + HEAD_WORDS, 0L);
        slots[first] = Words.pair(VERSION, flags | (requestFlags & FLAG_VCPU_PAUSED)); // version, flags
        slots[first + 1] = Words.pair(reason, vcpuId);                                 // reason, vcpu_id
        if (flags == 0) return false;
        encodeHeadActions(slots, first);
        if ((flags & DATA_USERS) == 0) return false;
        encodeData(slotsSeg, first * 8L);
        return true;
    }

    /** The actions that live in the header and {@code u}: the view to switch to, fast single-step's view. */
    private void encodeHeadActions(long[] slots, int first) {
        if ((flags & FLAG_ALTERNATE_P2M) != 0) Words.set16(slots, first * 8L + ALTP2M_IDX, view);
        if ((flags & FLAG_FAST_SINGLESTEP) != 0)
            Words.set16(slots, first * 8L + U + FAST_SINGLESTEP_P2MIDX, fastStepView);
    }

    /** The {@code data} union of the actions that carry data; out of line, as they are rare. */
    private void encodeData(MemorySegment page, long offset) {
        MemorySegment.copy(ZEROS, 0, page, offset + DATA, DATA_SIZE);
        if (regs != null) regs.writeTo(page, offset + DATA);
        if (readData != null) {
            page.set(ValueLayout.JAVA_INT_UNALIGNED, offset + DATA + EMUL_READ_SIZE, readData.length);
            MemorySegment.copy(readData, 0, page, ValueLayout.JAVA_BYTE, offset + DATA + EMUL_READ_DATA,
                    readData.length);
        }
        if (insnData != null)
            MemorySegment.copy(insnData, 0, page, ValueLayout.JAVA_BYTE, offset + DATA, insnData.length);
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("VmEventResponse[continue");
        if ((flags & FLAG_EMULATE) != 0) sb.append(", emulate");
        if ((flags & FLAG_EMULATE_NOWRITE) != 0) sb.append(" nowrite");
        if ((flags & FLAG_SET_EMUL_READ_DATA) != 0) sb.append(" read data ").append(readData.length);
        if ((flags & FLAG_SET_EMUL_INSN_DATA) != 0) sb.append(", insn data");
        if ((flags & FLAG_DENY) != 0) sb.append(", deny");
        if ((flags & FLAG_TOGGLE_SINGLESTEP) != 0) sb.append(", toggle singlestep");
        if ((flags & FLAG_FAST_SINGLESTEP) != 0) sb.append(", fast singlestep to view ").append(fastStepView);
        if ((flags & FLAG_ALTERNATE_P2M) != 0) sb.append(", switch to view ").append(view);
        if ((flags & FLAG_SET_REGISTERS) != 0) sb.append(", set registers");
        if ((flags & FLAG_RESET_FORK_STATE) != 0) sb.append(", reset fork state");
        if ((flags & FLAG_RESET_FORK_MEMORY) != 0) sb.append(", reset fork memory");
        if ((flags & FLAG_GET_NEXT_INTERRUPT) != 0) sb.append(", get next interrupt");
        if ((flags & FLAG_RESET_VMTRACE) != 0) sb.append(", reset vmtrace");
        return sb.append(']').toString();
    }
}
