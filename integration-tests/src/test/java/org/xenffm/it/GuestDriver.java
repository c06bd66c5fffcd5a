// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.time.Duration;
import org.xenffm.api.DomainId;
import org.xenffm.api.Xenstore;

/**
 * Makes a guest touch memory, the same way on both backends. On real Xen it is the puppet PVH guest
 * (guest/puppet.S) steered through its mailbox page (gfn 0x1f0) over a foreign mapping; on the emulator it is the
 * emulator's guest-activity API. Each loop, every vCPU does one pass of {@link Mode} over [start, end) in 4 KiB
 * steps, bumps the loop counter and executes CPUID. The guest is created paused; it has RAM at gfns 0..0x1fff
 * (32 MiB) except the puppet's code (gfn 0x100) and mailbox (gfn 0x1f0).
 */
public interface GuestDriver extends AutoCloseable {
    /** What each vCPU does to each page of the range (the puppet's mailbox mode numbers). */
    enum Mode {
        IDLE(0), INCREMENT(1), READ(2), WRITE(3), REPORT(4),
        /** Set up by {@link #programPaged}: paging on, a read at a virtual address, a jump to an address. */
        PAGED(5);

        public final int code;

        Mode(int code) { this.code = code; }
    }

    /** Gfns the scenarios may use for data: below them is the puppet's code, above them the mailbox. */
    long DATA_FIRST = 0x200, MAILBOX_GFN = 0x1f0, RAM_PAGES = 0x2000;

    DomainId domain();

    int vcpus();

    /** Sets the next loops' work (the guest must be paused). {@code endGpa} is exclusive. */
    void program(Mode mode, long startGpa, long endGpa);

    /** Lets the guest run until it completed at least {@code loops} more loops or the timeout passed; leaves it
     *  paused and returns how many loops it completed. */
    long run(int loops, Duration timeout);

    /** Lets the guest run on its own (for event scenarios: a monitor consumer answers what it raises). */
    void start();

    /** Pauses the guest again after {@link #start()}. */
    void stop();

    /** Gives a started guest the chance to make progress: real vCPUs run on their own (nothing to do); the
     *  emulator's vCPUs act only when asked. Event consumers call it while they wait. */
    default void tick() {}

    /** Loops completed so far (the mailbox counter). */
    long loops();

    /** The first dword the vCPU last read in {@link Mode#REPORT} mode (shows which frame its view maps). */
    int reported();

    /**
     * The code a scenario writes for {@link #programPaged}'s {@code execVa} (32-bit): {@code movl $1, 0x1f0024} (the
     * "spinning" flag, mailbox +0x24), then the spin {@code 1: cpuid; jmp 1b} from {@link #SPIN_AT} (CPUID makes every
     * round a VM exit: under Bochs a guest loop without one never gives the CPU back to Xen); a vCPU moved to
     * execVa + {@link #RESUME_AT} (e.g. by xc_domain_hvm_setcontext) stores EBX at mailbox +0x38 ({@link
     * #reportedRegister}) and returns with {@code jmp *%esi}.
     */
    byte[] SPIN_STUB = {(byte) 0xc7, 0x05, 0x24, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0f, (byte) 0xa2,
            (byte) 0xeb, (byte) 0xfc, (byte) 0x89, 0x1d, 0x38, 0x00, 0x1f, 0x00, (byte) 0xff, (byte) 0xe6};
    /** Offsets in {@link #SPIN_STUB}: the spin loop (4 bytes: cpuid, jmp), and the instruction after it. */
    int SPIN_AT = 10, SPIN_END = 14, RESUME_AT = 14;

    /**
     * Sets up {@link Mode#PAGED} (the guest must be paused): each loop the vCPU loads CR4 and CR3 (page tables the
     * scenario wrote into guest frames; they must identity-map the puppet's code and mailbox), turns CR0.PG on, reads
     * the dword at {@code readVa} ({@link #reportedVirtual}), jumps to {@code execVa} unless it is 0 ({@link
     * #SPIN_STUB} there), and turns paging off again before the loop counter and CPUID.
     */
    void programPaged(long cr4, long cr3, long readVa, long execVa);

    /**
     * The other code a scenario writes for {@link #programPaged}'s {@code execVa} (32-bit): {@code incl 0x1f003c} (the
     * stub's own run counter, mailbox +0x3c: {@link #stubRuns}), then {@code jmp *%esi} back into the loop. A stealth
     * breakpoint on its first byte proves the original instruction still runs once per hit.
     */
    byte[] BP_STUB = {(byte) 0xff, 0x05, 0x3c, 0x00, 0x1f, 0x00, (byte) 0xff, (byte) 0xe6};
    /** The length of {@link #BP_STUB}'s first instruction (the incl); the jmp follows it (2 bytes). */
    int BP_INSN = 6;

    /** How often {@link #BP_STUB}'s incl ran (mailbox +0x3c). */
    int stubRuns();

    /** Lets the guest run until its vCPU spins in {@link #SPIN_STUB} (RIP in [execVa + {@link #SPIN_AT}, execVa +
     *  {@link #SPIN_END})); leaves it paused there and returns true, or false at the timeout. */
    boolean runUntilSpinning(Duration timeout);

    /** The dword the vCPU last read at the virtual address of {@link Mode#PAGED}. */
    int reportedVirtual();

    /** What {@link #SPIN_STUB} stored after its resume point: the vCPU's EBX then. */
    int reportedRegister();

    /** Destroys the guest. */
    @Override void close();

    /** Creates guests; both implementations create them paused with {@code vcpus} vCPUs. */
    interface Factory {
        GuestDriver create(String name, int vcpus);

        /** A connection to the xenstore the toolstack names its guests in (xl: /local/domain/<id>/name). */
        Xenstore xenstore();

        /** Drives a domain the scenario created itself, a fork child of one of these guests (its vCPUs continue the
         *  parent's loop); closing the driver detaches from it, the scenario destroys the child. */
        GuestDriver attach(DomainId child, int vcpus);

        /**
         * A vm_event consumer of {@code d} whose handler never answers writes to {@code gfn}, stoppable by SIGTERM
         * (a dom0 JVM of its own on real Xen; on the emulator, a session in this JVM).
         */
        StuckConsumer stuckConsumer(DomainId d, org.xenffm.api.Gfn gfn) throws Exception;
    }
}
