// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xenffm.api.DomainId;
import org.xenffm.api.ForeignMapping;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.Xenstore;
import org.xenffm.xen.XenXenstore;

/**
 * The puppet guest on real Xen: created paused by {@code xl create -p}, steered through its mailbox page
 * (guest/puppet.S) mapped writable into dom0 for the guest's whole life, destroyed by {@code xl destroy}.
 */
final class PuppetGuest implements GuestDriver {
    // mailbox layout (puppet.S)
    private static final long MODE = 0, START = 4, END = 8, LOOPS = 12, NVCPUS = 16, REPORT = 0x20;
    private static final long SPINNING = 0x24, PAGED_CR4 = 0x28, PAGED_CR3 = 0x2c, EXEC = 0x30, REPORT_VIRTUAL = 0x34,
            REPORT_REGISTER = 0x38, STUB_RUNS = 0x3c;

    private final Hypervisor hv;
    private final String name;
    private final DomainId domain;
    private final int vcpus;
    private final ForeignMapping mailbox;
    private final MemorySegment box;
    private boolean closed;

    private PuppetGuest(Hypervisor hv, String name, DomainId domain, int vcpus) {
        this.hv = hv;
        this.name = name;
        this.domain = domain;
        this.vcpus = vcpus;
        this.mailbox = hv.foreignMemoryMap(domain, true, List.of(Gfn.of(MAILBOX_GFN)));
        this.box = mailbox.memory();
        if (name != null) { // an attached fork child keeps the mailbox its parent left (vCPUs are up already)
            box.set(ValueLayout.JAVA_INT_UNALIGNED, NVCPUS, vcpus); // read by the BSP once, at its first instruction
            program(Mode.IDLE, 0, 0);
        }
    }

    /** Creates puppets from an xl config (the harness writes /guest/pup.cfg). */
    static Factory factory(Hypervisor hv, String xlConfig) {
        return new Factory() {
            @Override public GuestDriver create(String name, int vcpus) {
                xl("create", "-p", xlConfig, "name=\"" + name + "\"", "vcpus=" + vcpus);
                int id = Integer.parseInt(xl("domid", name).trim());
                return new PuppetGuest(hv, name, DomainId.of(id), vcpus);
            }

            /** xenstored of this dom0 (the Bochs dom0 starts it before the suite), where xl named the puppets. */
            @Override public Xenstore xenstore() { return XenXenstore.open(); }

            /** A fork child of a puppet: its mailbox is populated from the parent's; closing only unmaps it. */
            @Override public GuestDriver attach(DomainId child, int vcpus) {
                return new PuppetGuest(hv, null, child, vcpus);
            }

            @Override public StuckConsumer stuckConsumer(DomainId d, org.xenffm.api.Gfn gfn) throws Exception {
                return StuckConsumer.childJvm(d, gfn);
            }
        };
    }

    @Override public DomainId domain() { return domain; }

    @Override public int vcpus() { return vcpus; }

    @Override public void program(Mode mode, long startGpa, long endGpa) {
        box.set(ValueLayout.JAVA_INT_UNALIGNED, START, (int) startGpa);
        box.set(ValueLayout.JAVA_INT_UNALIGNED, END, (int) endGpa);
        box.set(ValueLayout.JAVA_INT_UNALIGNED, MODE, mode.code);
    }

    @Override public long run(int loops, Duration timeout) {
        long before = counter();
        long deadline = System.nanoTime() + timeout.toNanos();
        hv.domainUnpause(domain);
        try {
            // sleep, not spin: under Bochs dom0 and the guest share one physical CPU
            while (counter() - before < loops && System.nanoTime() < deadline) Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hv.domainPause(domain);
        }
        return counter() - before;
    }

    @Override public void programPaged(long cr4, long cr3, long readVa, long execVa) {
        box.set(ValueLayout.JAVA_INT_UNALIGNED, PAGED_CR4, (int) cr4);
        box.set(ValueLayout.JAVA_INT_UNALIGNED, PAGED_CR3, (int) cr3);
        box.set(ValueLayout.JAVA_INT_UNALIGNED, EXEC, (int) execVa);
        box.set(ValueLayout.JAVA_INT_UNALIGNED, SPINNING, 0);
        program(Mode.PAGED, readVa, readVa + 1);
    }

    @Override public boolean runUntilSpinning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        hv.domainUnpause(domain);
        try {
            while (box.get(ValueLayout.JAVA_INT_UNALIGNED, SPINNING) == 0 && System.nanoTime() < deadline) Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hv.domainPause(domain);
        }
        return box.get(ValueLayout.JAVA_INT_UNALIGNED, SPINNING) != 0;
    }

    @Override public int reportedVirtual() { return box.get(ValueLayout.JAVA_INT_UNALIGNED, REPORT_VIRTUAL); }

    @Override public int reportedRegister() { return box.get(ValueLayout.JAVA_INT_UNALIGNED, REPORT_REGISTER); }

    @Override public int stubRuns() { return box.get(ValueLayout.JAVA_INT_UNALIGNED, STUB_RUNS); }

    @Override public void start() { hv.domainUnpause(domain); }

    @Override public void stop() { hv.domainPause(domain); }

    @Override public long loops() { return counter(); }

    @Override public int reported() { return box.get(ValueLayout.JAVA_INT_UNALIGNED, REPORT); }

    private long counter() { return Integer.toUnsignedLong(box.get(ValueLayout.JAVA_INT_UNALIGNED, LOOPS)); }

    @Override public void close() {
        if (closed) return; // a scenario may destroy a guest itself (s31)
        closed = true;
        mailbox.close();
        if (name != null) xl("destroy", name); // an attached fork child is the scenario's to destroy
    }


    private static String xl(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "xl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0)
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run xl", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
