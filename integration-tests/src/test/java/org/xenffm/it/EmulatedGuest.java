// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.Outcome;
import org.xenffm.emulated.Registers;

/**
 * The puppet's loop acted out through the emulator's guest API: each vCPU does one pass of the mode over
 * [start, end) (as a paging-off guest: the linear address is the physical one, like puppet.S), then the loop counter
 * goes up and the vCPU executes CPUID. An access that raised a sync event stays pending in the emulator; the loop
 * resumes after it once the consumer's response completed it — like the real vCPU, paused inside the instruction.
 */
final class EmulatedGuest implements GuestDriver {
    private final EmulatedHypervisor emu;
    private final DomainId domain;
    private final int vcpus;
    private boolean owned = true; // false: attached to a fork child, which the scenario destroys
    private Mode mode = Mode.IDLE;
    private long start, end;
    private long loops;
    private int reported;
    private boolean closed, running;
    // where the current loop stands: vCPU, next gpa (end = CPUID next), and an access waiting for a response
    private int atVcpu;
    private long atGpa = -1;
    private GuestResult pending;
    private boolean pendingIsRead;

    private EmulatedGuest(EmulatedHypervisor emu, DomainId domain, int vcpus) {
        this.emu = emu;
        this.domain = domain;
        this.vcpus = vcpus;
    }

    /** Guests as xl creates the puppet: HVM+HAP, 32 MiB, paused, vCPUs in puppet.S's PVH start state, with the
     *  altp2m mode pup.cfg names (0: none). */
    static Factory factory(EmulatedHypervisor emu, long altp2mMode) {
        return new Factory() {
            @Override public GuestDriver create(String name, int vcpus) {
                DomainId d = emu.createGuest(GuestSpec.hvm(vcpus, RAM_PAGES).pausedAtStart().withAltp2m(altp2mMode));
                for (int i = 0; i < vcpus; i++) {
                    GuestCpu cpu = emu.guest(d).vcpu(i);
                    cpu.setRegisters(pvhStart(cpu.registers()));
                }
                return new EmulatedGuest(emu, d, vcpus);
            }

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

    @Override public long run(int n, Duration timeout) {
        long before = loops;
        long deadline = System.nanoTime() + timeout.toNanos();
        start();
        try {
            while (loops - before < n) {
                if (step()) continue; // one vCPU pass per step
                // Paused inside an access until a monitor consumer (another thread) answers, as the real vCPU
                // waits in Xen: give it until the timeout. Anything else that stops the guest ends the run.
                long left = deadline - System.nanoTime();
                if (pending == null || pending.isDone() || left <= 0) break;
                try {
                    pending.await(Duration.ofNanos(left));
                } catch (IllegalStateException timedOut) {
                    break;
                }
            }
        } finally {
            stop();
        }
        return loops - before;
    }

    @Override public void start() {
        emu.domainUnpause(domain);
        running = true;
        // a running guest gets on with its loop at once: up to the first access that waits for a response
        for (int i = 0; i < 16 && step(); i++) { /* bounded: event scenarios need only the first request */ }
    }

    @Override public void stop() {
        running = false;
        emu.domainPause(domain);
    }

    @Override public void tick() {
        if (running) for (int i = 0; i < 16 && step(); i++) { /* as far as it gets */ }
    }

    @Override public long loops() { return loops; }

    @Override public int reported() { return reported; }

    /** Advances one vCPU pass; false if the guest cannot make progress now (paused, waiting on a response). */
    private boolean step() {
        if (pending != null) {
            if (!pending.isDone()) return false;
            if (pending.outcome() != Outcome.COMPLETED) return false;
            if (pendingIsRead && mode == Mode.REPORT && pending.data() != null) reported = dword(pending.data());
            pending = null;
        }
        GuestCpu cpu = emu.guest(domain).vcpu(atVcpu);
        if (atGpa < 0) atGpa = start;
        while (atGpa < end) {
            long gpa = atGpa;
            GuestResult r = access(cpu.gla(gpa), gpa);
            if (r == null) break; // IDLE
            if (!r.isDone()) { // waits for the monitor's response: the vCPU stays inside this instruction
                atGpa = gpa + 0x1000;
                pending = r;
                return false;
            }
            if (r.outcome() != Outcome.COMPLETED && r.outcome() != Outcome.UNMAPPED) return false; // not runnable
            atGpa = gpa + 0x1000;
        }
        if (atGpa != Long.MAX_VALUE) { // the pass is done: counter, then CPUID (a monitor event when enabled)
            loops++;
            atGpa = Long.MAX_VALUE;
            GuestResult c = cpu.cpuid(0, 0);
            if (!c.isDone()) {
                pending = c;
                pendingIsRead = false;
                return false;
            }
        }
        atGpa = -1;
        atVcpu = (atVcpu + 1) % vcpus;
        return true;
    }

    private GuestResult access(GuestCpu cpu, long gpa) {
        Gfn g = Gfn.ofGpa(gpa);
        int off = (int) (gpa & 0xfff);
        pendingIsRead = mode == Mode.READ || mode == Mode.REPORT;
        return switch (mode) {
            case IDLE -> null;
            case READ -> cpu.read(g, off, 4);
            case REPORT -> {
                GuestResult r = cpu.read(g, off, 4);
                if (r.isDone() && r.data() != null) reported = dword(r.data());
                yield r;
            }
            case WRITE -> cpu.write(g, off, bytes(mode.code));
            case INCREMENT -> { // incl (%edi): read, then write the incremented value
                GuestResult r = cpu.read(g, off, 4);
                if (!r.isDone() || r.data() == null) yield r;
                yield cpu.write(g, off, bytes(dword(r.data()) + 1));
            }
        };
    }

    private static int dword(byte[] b) { return ByteBuffer.wrap(b, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(); }

    private static byte[] bytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (owned) emu.domainDestroy(domain);
    }
}
