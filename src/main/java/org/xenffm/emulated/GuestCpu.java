// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.ControlRegister;
import org.xenffm.api.Gfn;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static org.xenffm.emulated.VmEventLayout.*;

/**
 * Acts as one vCPU of an emulated guest: memory accesses (with an optional guest-linear address), CPUID, INT3,
 * CR/XCR0/MSR writes, single-step, VMCALL guest requests, descriptor-table accesses, VM exits, interrupts. Each call
 * returns at once with a {@link GuestResult}; an operation that raised a sync event stays pending in the emulator
 * and completes when the consumer's response unpauses the vCPU ({@link GuestResult#await}).
 * Instances are cheap views; {@link #gla(long)} and {@link #pageWalk()} return modified copies. These are guest
 * actions, not hypercalls: they raise no errno; a domain or vCPU that does not exist is an
 * {@link IllegalArgumentException} (or an ESRCH {@link org.xenffm.api.XenException} for a missing domain).
 */
public final class GuestCpu {
    private final EmulatedHypervisor emu;
    private final int domid, vcpu;
    private final long gla;
    private final boolean glaValid, inGpt;

    GuestCpu(EmulatedHypervisor emu, int domid, int vcpu, long gla, boolean glaValid, boolean inGpt) {
        this.emu = emu; this.domid = domid; this.vcpu = vcpu;
        this.gla = gla; this.glaValid = glaValid; this.inGpt = inGpt;
    }

    /** {@return the vCPU's index in its domain} */
    public int id() { return vcpu; }

    /**
     * The next accesses carry this guest-linear address (GLA_VALID | FAULT_WITH_GLA in a MEM_ACCESS request).
     *
     * @param linear the guest-linear address the access used
     * @return a view of this vCPU whose accesses report it
     */
    public GuestCpu gla(long linear) { return new GuestCpu(emu, domid, vcpu, linear, true, inGpt); }

    /** {@return a view of this vCPU whose accesses are the CPU's own page-table walk (FAULT_IN_GPT)} */
    public GuestCpu pageWalk() { return new GuestCpu(emu, domid, vcpu, gla, glaValid, true); }

    /**
     * A data read. A shared page is read in place; a fork's hole is populated as shared from its parent; an
     * access the vCPU's p2m (its view, or the host) forbids raises a MEM_ACCESS event and pauses the vCPU
     * (docs/xen-semantics.md §5.3).
     *
     * @param gfn    the guest frame
     * @param offset the byte offset in it
     * @param len    the number of bytes
 * @return the outcome: completed, or pending until the response that unpauses the vCPU, with the bytes read
     */
    public GuestResult read(Gfn gfn, int offset, int len) {
        return mem(v -> new GuestEngine.MemOp(v, gfn.value(), offset, len, true, false, false, null, gla, glaValid, inGpt));
    }

    /**
     * A read-modify-write instruction on memory (e.g. {@code incl (%edi)}): one access that reads and writes, so a
     * forbidding p2m entry gives ONE EPT violation whose MEM_ACCESS event reports R and W together (the exit
     * qualification of a read-modify-write sets both bits; vmx.c:ept_handle_violation), not a read then a write. The
     * write stores {@code modify} applied to the bytes read; the result's data are the bytes read.
     *
     * @param gfn    the guest frame
     * @param offset the byte offset in it
     * @param len    the number of bytes
     * @param modify computes the bytes written from the bytes read
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult readModifyWrite(Gfn gfn, int offset, int len, java.util.function.UnaryOperator<byte[]> modify) {
        return mem(v -> {
            GuestEngine.MemOp op = new GuestEngine.MemOp(v, gfn.value(), offset, len, true, true, false, null, gla,
                    glaValid, inGpt);
            op.modify = modify;
            return op;
        });
    }

    /**
     * A read at a guest-physical address, as {@link #read(Gfn, int, int)}.
     *
     * @param gpa the guest-physical address
     * @param len the number of bytes
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult readGpa(long gpa, int len) { return read(Gfn.ofGpa(gpa), (int) (gpa & 0xfff), len); }

    /**
     * A data write. A write to a shared page unshares it first (copy-on-write, §3.7), a fork's hole gets a private
     * copy of its parent's page; a forbidden access raises a MEM_ACCESS event and pauses the vCPU (§5.3).
     *
     * @param gfn    the guest frame
     * @param offset the byte offset in it
     * @param data   the bytes to write
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult write(Gfn gfn, int offset, byte[] data) {
        return write(gfn.value(), offset, data);   // small enough to inline: the caller's Gfn need not exist
    }

    private GuestResult write(long g, int offset, byte[] data) {
        // a write that Xen completes within its VM exit (no event, no view) runs without an operation object
        if (!inGpt && emu.guestWrite(domid, vcpu, g, offset, data)) return GuestResult.COMPLETED;
        byte[] copy = data.clone();   // the operation may outlive the call (paused): it keeps its own bytes
        return mem(v -> new GuestEngine.MemOp(v, g, offset, copy.length, false, true, false, copy, gla, glaValid,
                inGpt));
    }

    /**
     * A write at a guest-physical address, as {@link #write(Gfn, int, byte[])}.
     *
     * @param gpa  the guest-physical address
     * @param data the bytes to write
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult writeGpa(long gpa, byte[] data) { return write(Gfn.ofGpa(gpa), (int) (gpa & 0xfff), data); }

    /**
     * An instruction fetch at (gfn, offset); a page without exec rights raises a MEM_ACCESS event.
     *
     * @param gfn    the guest frame
     * @param offset the byte offset in it
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult execute(Gfn gfn, int offset) {
        return mem(v -> new GuestEngine.MemOp(v, gfn.value(), offset, 1, false, false, true, null, gla, glaValid, inGpt));
    }

    private GuestResult mem(Function<Vcpu, GuestOp> op) { return emu.guestOp(domid, vcpu, op); }

    /**
     * A read at a guest-virtual address, as the vCPU executes it: translated through its own page tables (its CR0,
     * CR3, CR4 and EFER, tables in guest frames), then accessed at the guest-physical address with that linear address
     * (GLA_VALID in a MEM_ACCESS request). An address that does not translate ends with {@link Outcome#PAGE_FAULT}
     * (CR2 = the address) and accesses nothing. Within one page.
     *
     * @param va  the guest-virtual address
     * @param len the number of bytes, within the page
     * @return the outcome: completed, pending until the response that unpauses the vCPU, or PAGE_FAULT
     * @throws IllegalArgumentException an access that crosses a page
     */
    public GuestResult readVirtual(long va, int len) {
        onePage(va, len);
        return virt(va, (v, gpa) -> new GuestEngine.MemOp(v, gpa >>> 12, (int) (gpa & 0xfff), len, true, false, false,
                null, va, true, inGpt));
    }

    /**
     * A write at a guest-virtual address (see {@link #readVirtual}).
     *
     * @param va   the guest-virtual address
     * @param data the bytes, within the page
     * @return the outcome: completed, pending until the response that unpauses the vCPU, or PAGE_FAULT
     * @throws IllegalArgumentException an access that crosses a page
     */
    public GuestResult writeVirtual(long va, byte[] data) {
        onePage(va, data.length);
        byte[] copy = data.clone();
        return virt(va, (v, gpa) -> new GuestEngine.MemOp(v, gpa >>> 12, (int) (gpa & 0xfff), copy.length, false, true,
                false, copy, va, true, inGpt));
    }

    /**
     * An instruction fetch at a guest-virtual address (see {@link #readVirtual}); RIP is set to it first.
     *
     * @param va the guest-virtual address
     * @return the outcome: completed, pending until the response that unpauses the vCPU, or PAGE_FAULT
     */
    public GuestResult executeVirtual(long va) {
        return virt(va, (v, gpa) -> {
            v.regs.rip = va;
            return new GuestEngine.MemOp(v, gpa >>> 12, (int) (gpa & 0xfff), 1, false, false, true, null, va, true, inGpt);
        });
    }

    private static void onePage(long va, int len) {
        if (len < 1 || (va & 0xfff) + len > 4096) throw new IllegalArgumentException("an access within one page");
    }

    private GuestResult virt(long va, java.util.function.BiFunction<Vcpu, Long, GuestOp> op) {
        return emu.guestOp(domid, vcpu, v -> {
            org.xenffm.api.Translation t = emu.host().guest.translate(v, va);
            return t == null ? new GuestEngine.PageFault(v) : op.apply(v, t.gpa());
        });
    }

    /**
     * CPUID: with the CPUID monitor a sync event (RIP is not advanced: the consumer moves it past the insn).
     *
     * @param leaf    EAX
     * @param subleaf ECX
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult cpuid(int leaf, int subleaf) {
        return emu.guestOp(domid, vcpu, v -> cpuidOp(v, leaf, subleaf));
    }

    /**
     * A guest loop of {@code times} CPUIDs (e.g. a CPUID-heavy workload, or a benchmark): the vCPU executes them one
     * after another, each a full monitored CPUID (one sync event, paused until its response). The call returns after
     * the first instruction stops the vCPU; the consumer's response resumes it, and the emulator then runs the
     * following CPUIDs on the resuming thread — no other thread is needed to keep the guest going.
     * {@link GuestResult#await} waits for the last one; {@link GuestResult#eventsSent()} counts all of their events.
     *
     * @param leaf    EAX
     * @param subleaf ECX
     * @param times   how many CPUIDs
     * @return the outcome of the whole loop
     */
    public GuestResult cpuidLoop(int leaf, int subleaf, long times) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.Loop(v, times, w -> cpuidOp(w, leaf, subleaf)));
    }

    private static GuestOp cpuidOp(Vcpu v, int leaf, int subleaf) {
        return new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                if (!v.domain.monitor.cpuid) return null;
                return VmEventRequest.of(this.vcpu, REASON_CPUID).u32(U_CPUID_INSN_LENGTH, 2).u32(U_CPUID_LEAF, leaf)
                        .u32(U_CPUID_SUBLEAF, subleaf);
            }
            @Override boolean sync(Host h) { return true; }
            @Override void before(Host h) { v.regs.rax = leaf == 0 ? 0xd : 0; }
            @Override void after(Host h, boolean paused) { if (!paused) v.regs.rip += 2; }
            @Override boolean repeatable() { return true; }
        };
    }

    /**
     * INT3 at RIP: a SOFTWARE_BREAKPOINT event (gfn of RIP, identity-mapped) or #BP injected into the guest.
     *
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult softwareBreakpoint() {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                if (!v.domain.monitor.softwareBreakpoint) return null;
                return VmEventRequest.of(this.vcpu, REASON_SOFTWARE_BREAKPOINT).u64(U_GFN, v.regs.rip >>> 12)
                        .u32(U_DEBUG_INSN_LENGTH, 1).u8(U_DEBUG_TYPE, 6 /* X86_EVENTTYPE_SW_EXCEPTION */);
            }
            @Override boolean sync(Host h) { return true; }
            // vmx.c EXIT_REASON_EXCEPTION_NMI/X86_EXC_BP: rc = hvm_monitor_debug(...); if (!rc) vmx_propagate_intr:
            // Xen delivers the #BP itself only when no event went out; a monitor that took it must re-inject it
            // (xc_hvm_inject_trap) or the guest never sees it
            @Override void after(Host h, boolean paused) { if (!paused) v.delivered.add(InjectedEvent.int3()); }
        });
    }

    /**
     * Runs the instruction at RIP the way the CPU does: fetched through the vCPU's page tables and its current view
     * (an exec-restricted or remapped gfn acts as in hardware), then executed. The emulator does not decode x86:
     * {@code insnLength} is the length of the guest's instruction there, and executing it moves RIP past it. A
     * fetched 0xCC is INT3: a SOFTWARE_BREAKPOINT event (sync, RIP on the INT3) when monitored, else the #BP goes to
     * the guest; the response decides whether the vCPU emulates the instruction bytes it carries (EMULATE with
     * SET_EMUL_INSN_DATA), takes an injected #BP, or runs the instruction again in its (possibly switched) view.
     * With single-stepping on, the retired instruction is followed by a SINGLESTEP event or a FAST_SINGLESTEP view
     * switch.
     *
     * @param insnLength the length of the guest's instruction at RIP, 1..15
     * @return the outcome: completed, pending until the response that unpauses the vCPU, or PAGE_FAULT
     * @throws IllegalArgumentException a length outside 1..15
     */
    public GuestResult run(int insnLength) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.Instruction(v, insnLength));
    }

    /**
     * A guest loop whose body is the one instruction at {@code rip} ({@code insnLength} bytes; its jump back is not
     * modelled): RIP is set to {@code rip} and {@link #run(int)} executes, {@code times} times. As with
     * {@link #cpuidLoop}, the call returns when the first instruction stops the vCPU and each response resumes the
     * loop on the resuming thread; {@link GuestResult#await} waits for the last one.
     *
     * @param rip        the address of the loop's instruction
     * @param insnLength its length, 1..15
     * @param times      how many iterations, at least 1
     * @return the outcome of the whole loop
     */
    public GuestResult runLoop(long rip, int insnLength, long times) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.Loop(v, times, w -> {
            w.regs.rip = rip;
            return new GuestEngine.Instruction(w, insnLength);
        }));
    }

    /**
     * A debug exception (#DB) of the given HVMOP_TRAP type: a DEBUG_EXCEPTION event when monitored.
     *
     * @param type       the HVMOP_TRAP_* type
     * @param insnLength the instruction length
     * @param pendingDbg the pending debug exceptions (DR6 bits)
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult debugException(int type, int insnLength, long pendingDbg) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                if (!v.domain.monitor.debugException) return null;
                return VmEventRequest.of(this.vcpu, REASON_DEBUG_EXCEPTION).u64(U_GFN, v.regs.rip >>> 12)
                        .u64(U_DEBUG_PENDING_DBG, pendingDbg).u32(U_DEBUG_INSN_LENGTH, insnLength).u8(U_DEBUG_TYPE, type);
            }
            @Override boolean sync(Host h) { return v.domain.monitor.debugExceptionSync; }
        });
    }

    /**
     * Executes one instruction at RIP (advancing it by {@code insnLength}). With single-step on (TOGGLE_SINGLESTEP)
     * and the SINGLESTEP monitor enabled, a SINGLESTEP event follows; a fast single-step instead switches the view.
     *
     * @param insnLength the instruction's length
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult step(int insnLength) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override void before(Host h) { v.regs.rip += insnLength; }
            @Override VmEventRequest request(Host h) { return GuestEngine.singlestepAfterRetire(h, v); }
            @Override boolean sync(Host h) { return true; }
        });
    }

    /**
     * MOV to CR0/CR3/CR4 or XSETBV: a WRITE_CTRLREG event if monitored; CR0/3/4 writes of a sync event wait for
     * the response (DENY cancels them), XCR0 is written at once.
     *
     * @param reg   the register
     * @param value the value written
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult writeControlRegister(ControlRegister reg, long value) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            long old;
            boolean denied, deferred;

            @Override void before(Host h) { old = get(v.regs, reg); }

            @Override VmEventRequest request(Host h) {
                MonitorSettings m = v.domain.monitor;
                int bit = 1 << reg.index();
                // hvm_monitor_cr: enabled, (not onchangeonly or changed), and changed bits not all masked
                if ((m.writeCtrlregEnabled & bit) == 0) return null;
                if ((m.writeCtrlregOnchangeonly & bit) != 0 && value == old) return null;
                if (((value ^ old) & ~m.writeCtrlregMask[reg.index()]) == 0) return null;
                return VmEventRequest.of(this.vcpu, REASON_WRITE_CTRLREG).u32(U_CTRLREG_INDEX, reg.index())
                        .u64(U_CTRLREG_NEW, value).u64(U_CTRLREG_OLD, old);
            }

            @Override boolean sync(Host h) {
                deferred = (v.domain.monitor.writeCtrlregSync & (1 << reg.index())) != 0 && reg != ControlRegister.XCR0;
                if (reg == ControlRegister.XCR0) set(v.regs, reg, value);
                return (v.domain.monitor.writeCtrlregSync & (1 << reg.index())) != 0;
            }

            @Override void deny(int reason, int index) {
                if (reason == REASON_WRITE_CTRLREG && index == reg.index() && reg != ControlRegister.XCR0) denied = true;
            }

            @Override void after(Host h, boolean paused) {
                if (reg == ControlRegister.XCR0) { set(v.regs, reg, value); return; }
                if (!(paused && deferred && denied)) set(v.regs, reg, value);
            }
        });
    }

    static long get(Registers r, ControlRegister c) {
        return switch (c) { case CR0 -> r.cr0; case CR3 -> r.cr3; case CR4 -> r.cr4; case XCR0 -> r.xcr0; };
    }

    static void set(Registers r, ControlRegister c, long v) {
        switch (c) { case CR0 -> r.cr0 = v; case CR3 -> r.cr3 = v; case CR4 -> r.cr4 = v; case XCR0 -> r.xcr0 = v; }
    }

    /**
     * WRMSR: a MOV_TO_MSR event (always sync) if the MSR is monitored; DENY in the response cancels the write.
     *
     * @param msr   the MSR index
     * @param value the value written
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult writeMsr(int msr, long value) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            long old;
            boolean denied;

            @Override void before(Host h) { old = v.msrs.getOrDefault(Integer.toUnsignedLong(msr), 0L); }

            @Override VmEventRequest request(Host h) {
                MonitorSettings m = v.domain.monitor;
                long u = Integer.toUnsignedLong(msr);
                if (!m.monitoredMsr(u)) return null;
                int i = MonitorSettings.msrIndex(u);
                if (m.msrOnchange.get(i) && value == old) return null;
                return VmEventRequest.of(this.vcpu, REASON_MOV_TO_MSR).u64(U_MSR, u).u64(U_MSR_NEW, value).u64(U_MSR_OLD, old);
            }

            @Override boolean sync(Host h) { return true; }

            @Override void deny(int reason, int index) { if (reason == REASON_MOV_TO_MSR) denied = true; }

            @Override void after(Host h, boolean paused) {
                if (!denied) v.msrs.put(Integer.toUnsignedLong(msr), value);
            }
        });
    }

    /**
     * VMCALL HVMOP_guest_request_vm_event: a GUEST_REQUEST event when monitored.
     *
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult guestRequest() {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                return v.domain.monitor.guestRequest ? VmEventRequest.of(this.vcpu, REASON_GUEST_REQUEST) : null;
            }
            @Override boolean sync(Host h) { return v.domain.monitor.guestRequestSync; }
        });
    }

    /**
     * LGDT/SIDT/LLDT/…: a DESCRIPTOR_ACCESS event when monitored.
     *
     * @param descriptor 1 IDTR, 2 GDTR, 3 LDTR, 4 TR
     * @param isWrite    a load into the register (LGDT …) rather than a store
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult descriptorAccess(int descriptor, boolean isWrite) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                if (!v.domain.monitor.descriptorAccess) return null;
                return VmEventRequest.of(this.vcpu, REASON_DESCRIPTOR_ACCESS).u8(U_DESC_DESCRIPTOR, descriptor)
                        .u8(U_DESC_IS_WRITE, isWrite ? 1 : 0);
            }
            @Override boolean sync(Host h) { return true; }
        });
    }

    /**
     * Any VM exit with the given VMX exit reason and qualification: a VMEXIT event when monitored.
     *
     * @param reason        the VMX exit reason
     * @param qualification the exit qualification
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult vmexit(long reason, long qualification) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                if (!v.domain.monitor.vmexit) return null;
                return VmEventRequest.of(this.vcpu, REASON_VMEXIT).u64(U_VMEXIT_REASON, reason).u64(U_VMEXIT_QUAL, qualification);
            }
            @Override boolean sync(Host h) { return v.domain.monitor.vmexitSync; }
        });
    }

    /**
     * IN/OUT (Xen ≥ 4.18): an IO_INSTRUCTION event (always sync) when the IO monitor is enabled.
     *
     * @param port  the I/O port
     * @param bytes the access size
     * @param in    IN rather than OUT
     * @param str   a string instruction (INS/OUTS)
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult ioInstruction(int port, int bytes, boolean in, boolean str) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                if (!v.domain.monitor.io) return null;
                return VmEventRequest.of(this.vcpu, REASON_IO_INSTRUCTION).u32(U_IO_BYTES, bytes).u8(U_IO_IN, in ? 1 : 0)
                        .u8(U_IO_STR, str ? 1 : 0).u16(U_IO_PORT, port);
            }
            @Override boolean sync(Host h) { return true; }
        });
    }

    /**
     * An interrupt being injected: an INTERRUPT event once after a GET_NEXT_INTERRUPT response.
     *
     * @param vector    the vector
     * @param type      the X86_EVENTTYPE_*
     * @param errorCode the error code
     * @param cr2       the faulting address of a #PF
     * @return the outcome: completed, or pending until the response that unpauses the vCPU
     */
    public GuestResult interrupt(int vector, int type, int errorCode, long cr2) {
        return emu.guestOp(domid, vcpu, v -> new GuestEngine.EventOp(v) {
            @Override VmEventRequest request(Host h) {
                if (!v.nextInterrupt) return null;
                v.nextInterrupt = false;
                return VmEventRequest.of(this.vcpu, REASON_INTERRUPT).u32(U_INTERRUPT_VECTOR, vector)
                        .u32(U_INTERRUPT_TYPE, type).u32(U_INTERRUPT_ERROR, errorCode).u64(U_INTERRUPT_CR2, cr2);
            }
            @Override boolean sync(Host h) { return true; }
        });
    }

    /** {@return a copy of the vCPU's registers} */
    public Registers registers() { return emu.withVcpu(domid, vcpu, v -> v.regs.copy()); }

    /**
     * Replaces the vCPU's registers (as a debugger would before running it).
     *
     * @param r the new registers, copied
     */
    public void setRegisters(Registers r) { emu.withVcpu(domid, vcpu, v -> { v.regs = r.copy(); return null; }); }

    /** {@return the altp2m view the vCPU runs in (-1 when altp2m is off)} */
    public int currentView() { return emu.withVcpu(domid, vcpu, v -> v.p2midx); }

    /** {@return whether the vCPU is paused by vm_event (a sync event awaits its response)} */
    public boolean pausedByVmEvent() { return emu.withVcpu(domid, vcpu, v -> v.vmEventPause > 0); }

    /** {@return whether the vCPU carries the ring's "black eye" (paused so every vCPU keeps a ring slot)} */
    public boolean blockedByRing() { return emu.withVcpu(domid, vcpu, v -> v.blockedByRing); }

    /** {@return whether single-stepping is on for the vCPU (TOGGLE_SINGLESTEP or FAST_SINGLESTEP)} */
    public boolean singleStepping() { return emu.withVcpu(domid, vcpu, v -> v.singleStep); }

    /** {@return the event xc_hvm_inject_trap queued for the vCPU's next VM entry, if it has not entered yet} */
    public java.util.Optional<InjectedEvent> pendingInjection() {
        return emu.withVcpu(domid, vcpu, v -> java.util.Optional.ofNullable(v.injectEvent));
    }

    /** {@return the events delivered into the guest at VM entry (injected, or a #BP Xen propagated), oldest first} */
    public java.util.List<InjectedEvent> deliveredEvents() {
        return emu.withVcpu(domid, vcpu, v -> java.util.List.copyOf(v.delivered));
    }

    /** {@return the number of #VE the vCPU received} */
    public long virtualizationExceptions() { return emu.withVcpu(domid, vcpu, v -> v.veCount); }

    /**
     * An MSR's current value.
     *
     * @param msr the MSR index
     * @return its value, 0 if never written
     */
    public long msr(int msr) {
        return emu.withVcpu(domid, vcpu, v -> v.msrs.getOrDefault(Integer.toUnsignedLong(msr), 0L));
    }

    static Map<Long, Long> newMsrs() { return new HashMap<>(); }
}
