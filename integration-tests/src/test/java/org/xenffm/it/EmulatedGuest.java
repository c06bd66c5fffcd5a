// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.DomainId;
import org.xenffm.api.PagingMode;
import org.xenffm.api.Gfn;
import org.xenffm.api.VcpuId;
import org.xenffm.api.Xenstore;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.Outcome;
import org.xenffm.emulated.Registers;
import org.xenffm.vmi.GuestMemory;

/**
 * The puppet's loop acted out through the emulator's guest API, by every vCPU of the guest as on real Xen: each vCPU
 * does one pass of the mode over [start, end) (as a paging-off guest: the linear address is the physical one, like
 * puppet.S), then the loop counter goes up and the vCPU executes CPUID. Each vCPU keeps its own place in its loop,
 * so a guest has as many outstanding paused accesses as vCPUs: an access that raised a sync event (or waits for a
 * ring slot) stays pending in the emulator, and that vCPU resumes after it once the consumer's response completed it
 * — like the real vCPU, stopped inside the instruction — while the others go on. The puppet's {@code incl} is one
 * read-modify-write access (one event, R and W together); a CPUID whose RIP the response left alone is executed
 * again (vmx.c: a CPUID that raised a sync event does not advance RIP; the puppet re-runs it).
 */
final class EmulatedGuest implements GuestDriver {
    private final EmulatedHypervisor emu;
    private final DomainId domain;
    private final int vcpus;
    private boolean owned = true; // false: attached to a fork child, which the scenario destroys
    private Mode mode = Mode.IDLE;
    private long start, end;
    private long loops;
    private int reported, reportedVirtual, reportedRegister, stubRuns;
    /** {@link Mode#PAGED}: the control registers the vCPU loads, where it jumps (0: nowhere); whether it spins. */
    private long pagedCr4, pagedCr3, execVa;
    private boolean spinning;
    private boolean closed, running;
    /** Where each vCPU's loop stands. */
    private final Cpu[] cpus;
    /** The vCPU the next round of steps starts with (round robin, so no vCPU starves). */
    private int next;

    /** Cpu.atGpa of a vCPU spinning in {@link #SPIN_STUB}, and of one running {@link #BP_STUB}. */
    private static final long IN_STUB = -2, IN_BP_STUB = -3;

    /** One vCPU's place in the puppet loop: next gpa (-1 = loop start, MAX = CPUID next, IN_STUB), and what it waits
     *  on. */
    private static final class Cpu {
        long atGpa = -1;
        GuestResult pending;
        boolean pendingIsRead, pendingIsCpuid, pendingIsStub;
        /** IN_BP_STUB: the stub's next instruction (0 the incl, 1 the jmp, 2 returned). */
        int stubPc;
        long cpuidRip;
        long stubVa; // IN_STUB: where it jumped
    }

    private EmulatedGuest(EmulatedHypervisor emu, DomainId domain, int vcpus) {
        this.emu = emu;
        this.domain = domain;
        this.vcpus = vcpus;
        this.cpus = new Cpu[vcpus];
        for (int i = 0; i < vcpus; i++) cpus[i] = new Cpu();
    }

    /** Guests as xl creates the puppet: HVM+HAP, 32 MiB, paused, vCPUs in puppet.S's PVH start state, with the
     *  altp2m mode pup.cfg names (0: none). */
    static Factory factory(EmulatedHypervisor emu, long altp2mMode) {
        return new Factory() {
            @Override public GuestDriver create(String name, int vcpus) {
                DomainId d = emu.createGuest(GuestSpec.hvm(vcpus, RAM_PAGES).pausedAtStart().withAltp2m(altp2mMode),
                        name);
                for (int i = 0; i < vcpus; i++) {
                    GuestCpu cpu = emu.guest(d).vcpu(i);
                    cpu.setRegisters(pvhStart(cpu.registers()));
                }
                return new EmulatedGuest(emu, d, vcpus);
            }

            /** The emulated host's xenstore, where createGuest named the guests as xl does. */
            @Override public Xenstore xenstore() { return emu.xenstoreOpen(); }

            /** The emulator copied the parent's vCPU state into the child. */
            @Override public GuestDriver attach(DomainId child, int vcpus) {
                EmulatedGuest g = new EmulatedGuest(emu, child, vcpus);
                g.owned = false;
                return g;
            }

            @Override public StuckConsumer stuckConsumer(DomainId d, org.xenffm.api.Gfn gfn) {
                return StuckConsumer.inProcess(emu, d, gfn);
            }
        };
    }

    /**
     * The PVH entry state the puppet keeps (32-bit flat, paging off, it never writes CR3): CR0 = PE|ET, CR3 = CR4 =
     * EFER = 0. It matters to forks: the child's fork populates the gfn CR3 points at (gfn 0 here, s18).
     */
    private static Registers pvhStart(Registers r) {
        r.cr0 = 0x11;
        r.cr3 = 0;
        r.cr4 = 0;
        r.msrEfer = 0;
        return r;
    }

    @Override public DomainId domain() { return domain; }

    @Override public int vcpus() { return vcpus; }

    @Override public void program(Mode m, long startGpa, long endGpa) {
        mode = m;
        start = startGpa;
        end = endGpa;
    }

    @Override public void programPaged(long cr4, long cr3, long readVa, long execVa) {
        pagedCr4 = cr4;
        pagedCr3 = cr3;
        this.execVa = execVa;
        spinning = false;
        program(Mode.PAGED, readVa, readVa + 1);
    }

    @Override public boolean runUntilSpinning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        start();
        try {
            while (!spinning && System.nanoTime() < deadline) if (!step() && !waitForAny(deadline)) break;
        } finally {
            stop();
        }
        return spinning;
    }

    @Override public int reportedVirtual() { return reportedVirtual; }

    @Override public int reportedRegister() { return reportedRegister; }

    @Override public int stubRuns() { return stubRuns; }

    @Override public long run(int n, Duration timeout) {
        long before = loops;
        long deadline = System.nanoTime() + timeout.toNanos();
        start();
        try {
            while (loops - before < n) {
                if (step()) continue;
                // Every vCPU is paused inside an instruction until a monitor consumer (another thread) answers, as
                // real vCPUs wait in Xen: give them until the timeout. Anything else that stops the guest ends the run.
                if (!waitForAny(deadline)) break;
            }
        } finally {
            stop();
        }
        return loops - before;
    }

    /** Waits until some vCPU's pending instruction completed; false at the deadline or if none is pending. */
    private boolean waitForAny(long deadline) {
        while (System.nanoTime() < deadline) {
            boolean waiting = false;
            for (Cpu c : cpus) {
                if (c.pending == null) continue;
                if (c.pending.isDone()) return true;
                waiting = true;
            }
            if (!waiting) return false;
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    @Override public void start() {
        emu.domainUnpause(domain);
        running = true;
        // a running guest gets on with its loop at once: every vCPU up to its first access that waits for a response
        for (int i = 0; i < 16 * vcpus && step(); i++) { /* bounded: event scenarios need only the first requests */ }
    }

    @Override public void stop() {
        running = false;
        emu.domainPause(domain);
    }

    @Override public void tick() {
        if (running) for (int i = 0; i < 16 * vcpus && step(); i++) { /* as far as it gets */ }
    }

    @Override public long loops() { return loops; }

    @Override public int reported() { return reported; }

    /** Advances one vCPU that can make progress (one pass of its loop); false if none can now. */
    private boolean step() {
        for (int k = 0; k < vcpus; k++) {
            int i = (next + k) % vcpus;
            if (advance(i)) {
                next = (i + 1) % vcpus;
                return true;
            }
        }
        return false;
    }

    /** vCPU i finishes what it waited on and runs to the end of its pass; false if it cannot move now. */
    private boolean advance(int i) {
        Cpu c = cpus[i];
        GuestCpu cpu = emu.guest(domain).vcpu(i);
        if (c.pending != null) {
            if (!c.pending.isDone() || c.pending.outcome() != Outcome.COMPLETED) return false;
            GuestResult done = c.pending;
            c.pending = null;
            if (c.pendingIsCpuid) {
                c.pendingIsCpuid = false;
                if (cpu.registers().rip == c.cpuidRip) return cpuid(c, cpu); // RIP not advanced: CPUID again
                c.atGpa = -1;
                return true;
            }
            if (c.pendingIsStub) {
                c.pendingIsStub = false;
                if (!retired(c, cpu)) return false;
            }
            if (c.pendingIsRead && mode == Mode.REPORT && done.data() != null) reported = dword(done.data());
        }
        if (mode == Mode.PAGED) return paged(c, cpu);
        if (c.atGpa < 0) c.atGpa = start;
        boolean moved = false;
        while (c.atGpa < end) {
            long gpa = c.atGpa;
            GuestResult r = access(c, cpu.gla(gpa), gpa);
            if (r == null) break; // IDLE
            if (!r.isDone()) { // waits for the monitor's response (or a slot): the vCPU stays inside this instruction
                c.atGpa = gpa + 0x1000;
                c.pending = r;
                return true;
            }
            if (r.outcome() != Outcome.COMPLETED && r.outcome() != Outcome.UNMAPPED) return moved; // not runnable
            c.atGpa = gpa + 0x1000;
            moved = true;
        }
        if (c.atGpa != Long.MAX_VALUE) return endPass(c, cpu);
        c.atGpa = -1;
        return true;
    }

    /** The pass is done: counter, then CPUID (a monitor event when enabled). */
    private boolean endPass(Cpu c, GuestCpu cpu) {
        loops++;
        c.atGpa = Long.MAX_VALUE;
        return cpuid(c, cpu);
    }

    /**
     * One pass of puppet.S's mode 5, instruction by instruction: MOV to CR4, CR3 and CR0 (PG on), the read at the
     * virtual address, the jump to execVa, where {@link #SPIN_STUB} sets the spinning flag and spins in its CPUID
     * loop until its RIP is moved to execVa + RESUME_AT (then it stores EBX and returns), CR0.PG off. The spin makes
     * no progress here: the vCPU is left at the loop's jmp (as Xen leaves it after emulating the CPUID), and its
     * CPUIDs are not repeated (no monitor watches them in the scenarios that spin).
     * An access that raises a monitor event or faults stops the vCPU here (the suite's paged scenarios run without
     * a monitor; the real puppet has no #PF handler either).
     */
    private boolean paged(Cpu c, GuestCpu cpu) {
        if (c.atGpa == IN_BP_STUB) return bpStub(c, cpu);
        if (c.atGpa == IN_STUB) {
            Registers r = cpu.registers();
            if (r.rip != c.stubVa + RESUME_AT) return false; // the spin (any other RIP: code this driver does not model)
            reportedRegister = (int) r.rbx;                 // mov %ebx, 0x1f0038; jmp *%esi
            c.atGpa = -1;
            return pagingOff(cpu) && endPass(c, cpu);
        }
        if (!completed(cpu.writeControlRegister(ControlRegister.CR4, pagedCr4))
                || !completed(cpu.writeControlRegister(ControlRegister.CR3, pagedCr3))
                || !completed(cpu.writeControlRegister(ControlRegister.CR0, cpu.registers().cr0 | PagingMode.CR0_PG)))
            return false;
        if (start < end) {
            GuestResult r = cpu.readVirtual(start, 4);
            if (!completed(r)) return false;
            reportedVirtual = dword(r.data());
        }
        if (execVa != 0 && runsBpStub(cpu)) {
            Registers r = cpu.registers();              // jmp *%ecx
            r.rip = execVa;
            cpu.setRegisters(r);
            c.atGpa = IN_BP_STUB;
            c.stubVa = execVa;
            c.stubPc = 0;
            return bpStub(c, cpu);
        }
        if (execVa != 0) {
            if (!completed(cpu.executeVirtual(execVa))) return false;
            Registers r = cpu.registers();              // movl $1, 0x1f0024 and a CPUID retired; at the jmp
            r.rip = execVa + SPIN_AT + 2;
            cpu.setRegisters(r);
            spinning = true;
            c.atGpa = IN_STUB;
            c.stubVa = execVa;
            return true;
        }
        return pagingOff(cpu) && endPass(c, cpu);
    }

    /**
     * {@link #BP_STUB} instruction by instruction through {@link GuestCpu#run}: fetched through the vCPU's page tables and
     * its current view, so a stealth breakpoint's INT3 raises its event there and the response decides how the incl
     * runs (emulated from the response's bytes, or again in another view). A vCPU paused on an event stays inside the
     * instruction; {@link #retired} counts it when it completes.
     */
    private boolean bpStub(Cpu c, GuestCpu cpu) {
        while (c.stubPc < 2) {
            GuestResult r = cpu.run(c.stubPc == 0 ? BP_INSN : 2);
            if (!r.isDone()) {
                c.pending = r;
                c.pendingIsRead = false;
                c.pendingIsStub = true;
                return true;
            }
            if (r.outcome() != Outcome.COMPLETED || !retired(c, cpu)) return false;
        }
        c.atGpa = -1;                                   // jmp *%esi: back in the loop, paging off
        return pagingOff(cpu) && endPass(c, cpu);
    }

    /** The stub instruction at stubPc retired (RIP just past it): the incl bumps mailbox +0x3c; false if it did not
     *  retire there (a #BP the guest took: the puppet has no handler for it). */
    private boolean retired(Cpu c, GuestCpu cpu) {
        long next = c.stubVa + (c.stubPc == 0 ? BP_INSN : BP_INSN + 2);
        if (cpu.registers().rip != next) return false;
        if (c.stubPc == 0) stubRuns++;
        c.stubPc++;
        return true;
    }

    /** Whether the code at execVa (read as dom0 reads it, through the vCPU's tables) is {@link #BP_STUB}. */
    private boolean runsBpStub(GuestCpu cpu) {
        try (GuestMemory mem = new GuestMemory(emu, domain)) {
            return Arrays.equals(BP_STUB, mem.readVirtual(mem.addressSpace(VcpuId.of(cpu.id())), execVa, BP_STUB.length));
        }
    }

    private static boolean pagingOff(GuestCpu cpu) {
        return completed(cpu.writeControlRegister(ControlRegister.CR0, cpu.registers().cr0 & ~PagingMode.CR0_PG));
    }

    /** Completed, or a read of a hole (all-ones, as Xen's null handler answers it). */
    private static boolean completed(GuestResult r) {
        return r.isDone() && (r.outcome() == Outcome.COMPLETED || r.outcome() == Outcome.UNMAPPED);
    }

    /** CPUID (leaf 0) at the end of a pass; a sync CPUID event leaves the vCPU pending on it. */
    private boolean cpuid(Cpu c, GuestCpu cpu) {
        c.cpuidRip = cpu.registers().rip;
        GuestResult r = cpu.cpuid(0, 0);
        if (!r.isDone()) {
            c.pending = r;
            c.pendingIsRead = false;
            c.pendingIsCpuid = true;
            return true;
        }
        if (r.outcome() != Outcome.COMPLETED) return true; // counted; the vCPU cannot go on (crash, paused)
        c.atGpa = -1;
        return true;
    }

    private GuestResult access(Cpu c, GuestCpu cpu, long gpa) {
        Gfn g = Gfn.ofGpa(gpa);
        int off = (int) (gpa & 0xfff);
        c.pendingIsRead = mode == Mode.READ || mode == Mode.REPORT;
        return switch (mode) {
            case IDLE, PAGED -> null;
            case READ -> cpu.read(g, off, 4);
            case REPORT -> {
                GuestResult r = cpu.read(g, off, 4);
                if (r.isDone() && r.data() != null) reported = dword(r.data());
                yield r;
            }
            case WRITE -> cpu.write(g, off, bytes(mode.code));
            case INCREMENT -> cpu.readModifyWrite(g, off, 4, b -> bytes(dword(b) + 1)); // incl (%edi): one access
        };
    }

    private static int dword(byte[] b) { return ByteBuffer.wrap(b, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(); }

    private static byte[] bytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (owned) emu.destroyGuest(domain);   // as xl destroy: the domain and its xenstore directory
    }
}
