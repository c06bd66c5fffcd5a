// SPDX-License-Identifier: Apache-2.0
package org.xenffm.stealth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.XenException;
import org.xenffm.api.XenVersion;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestCpu;
import org.xenffm.emulated.GuestResult;
import org.xenffm.emulated.GuestSpec;
import org.xenffm.emulated.HostConfig;
import org.xenffm.emulated.Outcome;
import org.xenffm.emulated.Registers;

/**
 * Random interleavings of breakpoint hits, guest reads and writes, unsharing writes, fork_resets, a sharing partner
 * destroyed, late forks and breakpoint add/remove on forks of one paused parent — on Xen 4.17 and 4.20, with and
 * without the monitor trap flag. After every step: no hit lost or invented, no INT3 visible to a guest read, no #BP
 * reaching a guest, no vCPU left paused; after close: no shadow page, view or max_pages change left.
 */
class StealthInterleavingsProperty {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final long CODE = 0x5000;
    /** Three breakpoint addresses on two pages. */
    static final long[] BPS = {CODE + 0x10, CODE + 0x20, CODE + 0x1008};
    static final int MAX_CHILDREN = 3;

    sealed interface Op {}
    record Exec(int child, int bp) implements Op {}
    record Read(int child, int bp) implements Op {}
    record Write(int child, int page, int offset) implements Op {}
    record Add(int child, int bp) implements Op {}
    record Remove(int child, int bp) implements Op {}
    record Reset(int child, boolean state, boolean memory) implements Op {}
    record DestroyPartner() implements Op {}
    record Fork() implements Op {}

    @Provide Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> child = Arbitraries.integers().between(0, MAX_CHILDREN - 1);
        Arbitrary<Integer> bp = Arbitraries.integers().between(0, BPS.length - 1);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(8, Combinators.combine(child, bp).as(Exec::new)),
                Tuple.of(4, Combinators.combine(child, bp).as(Read::new)),
                Tuple.of(4, Combinators.combine(child, Arbitraries.integers().between(0, 1),
                        Arbitraries.integers().between(0x100, 0xfff)).as(Write::new)),
                Tuple.of(5, Combinators.combine(child, bp).as(Add::new)),
                Tuple.of(2, Combinators.combine(child, bp).as(Remove::new)),
                Tuple.of(2, Combinators.combine(child, Arbitraries.of(true, false), Arbitraries.of(true, false))
                        .filter((c, s, m) -> s || m).as(Reset::new)),
                Tuple.of(1, Arbitraries.just(new DestroyPartner())),
                Tuple.of(1, Arbitraries.just(new Fork())));
        return op.list().ofMinSize(1).ofMaxSize(25);
    }

    @Property(tries = 160, shrinking = ShrinkingMode.BOUNDED)
    void noHitLostNoInt3VisibleNothingLeaked(@ForAll("versions") XenVersion v, @ForAll boolean mtf,
                                             @ForAll("ops") List<Op> ops) {
        Map<DomainId, AtomicLong> hits = new ConcurrentHashMap<>();
        try (EmulatedHypervisor hv = new EmulatedHypervisor(HostConfig.vtx(v).withSinglestep(mtf))) {
            DomainId parent = hv.createGuest(GuestSpec.hvm(1, 16).withAltp2m(HvmParam.ALTP2M_DISABLED));
            byte[] nops = new byte[4096];
            java.util.Arrays.fill(nops, (byte) 0x90);
            for (long g = 0; g < 16; g++) {
                byte[] b = g == 5 || g == 6 ? nops : new byte[4096];
                assertEquals(Outcome.COMPLETED, hv.guest(parent).vcpu(0).write(Gfn.of(g), 0, b).await(WAIT));
            }
            Registers pr = hv.guest(parent).vcpu(0).registers();
            pr.cr0 = 0x11;
            hv.guest(parent).vcpu(0).setRegisters(pr);
            hv.domainPause(parent);
            StealthTracer t = new StealthTracer(hv, null,
                    h -> hits.computeIfAbsent(h.domain(), k -> new AtomicLong()).incrementAndGet());
            List<DomainId> kids = new ArrayList<>();
            Map<DomainId, Set<Integer>> set = new HashMap<>();
            Map<DomainId, Long> expected = new HashMap<>();
            Map<DomainId, Long> maxPages = new HashMap<>();
            List<String> trace = new ArrayList<>();
            // a partner: another fork that reads (shares) the parent's pages, destroyed on DestroyPartner
            DomainId[] partner = {fork(hv, t, parent)};
            for (long g = 0; g < 16; g++) read(hv, partner[0], g << 12);
            kids.add(fork(hv, t, parent));
            try {
                for (Op op : ops) {
                    trace.add(op.toString());
                    String why = String.join("\n", trace);
                    switch (op) {
                        case Fork f -> { if (kids.size() < MAX_CHILDREN) kids.add(fork(hv, t, parent)); }
                        case DestroyPartner p -> {
                            if (partner[0] != null) { t.keeper().destroyDomain(partner[0]); partner[0] = null; }
                        }
                        default -> {}
                    }
                    DomainId c = switch (op) {
                        case Exec e -> pick(kids, e.child());
                        case Read r -> pick(kids, r.child());
                        case Write w -> pick(kids, w.child());
                        case Add a -> pick(kids, a.child());
                        case Remove r -> pick(kids, r.child());
                        case Reset r -> pick(kids, r.child());
                        default -> null;
                    };
                    if (c == null) continue;
                    maxPages.putIfAbsent(c, hv.domainGetinfo(c).maxPages());
                    Set<Integer> bps = set.computeIfAbsent(c, k -> new HashSet<>());
                    switch (op) {
                        case Exec e -> {
                            assertEquals(Outcome.COMPLETED, exec(hv, c, BPS[e.bp()]), why);
                            if (bps.contains(e.bp())) expected.merge(c, 1L, Long::sum);
                        }
                        case Read r -> assertEquals((byte) 0x90, read(hv, c, BPS[r.bp()]), "INT3 visible\n" + why);
                        case Write w -> assertEquals(Outcome.COMPLETED, hv.guest(c).vcpu(0)
                                .writeGpa(CODE + w.page() * 0x1000L + w.offset(), new byte[]{0x42}).await(WAIT), why);
                        case Add a -> { t.add(c, BPS[a.bp()]); bps.add(a.bp()); }
                        case Remove r -> assertEquals(bps.remove(r.bp()), t.remove(new Breakpoint(c, BPS[r.bp()],
                                java.util.OptionalLong.empty())), why);
                        case Reset r -> t.forkReset(c, r.state(), r.memory());
                        default -> {}
                    }
                    for (DomainId k : kids) {
                        assertEquals(expected.getOrDefault(k, 0L), hits.getOrDefault(k, new AtomicLong()).get(),
                                "hits of " + k + "\n" + why);
                        assertFalse(hv.guest(k).vcpu(0).pausedByVmEvent(), why);
                        assertTrue(hv.guest(k).vcpu(0).deliveredEvents().isEmpty(), "a #BP reached " + k + "\n" + why);
                    }
                }
                Map<DomainId, List<Gfn>> shadows = new HashMap<>();
                for (DomainId k : kids) shadows.put(k, t.shadowPages(k));
                t.close();
                for (DomainId k : kids) {
                    for (Gfn s : shadows.get(k)) {
                        XenException x = assertThrows(XenException.class, () -> hv.foreignMemoryMap(k, false,
                                List.of(s)).close(), "shadow " + s + " of " + k + " returned\n" + trace);
                        assertNotEquals(null, x.errno());
                    }
                    assertTrue(hv.guest(k).vcpu(0).currentView() <= 0, "back in view 0\n" + trace);
                    DomainInfo info = hv.domainGetinfo(k);
                    if (maxPages.containsKey(k)) assertEquals(maxPages.get(k), info.maxPages(), "max_pages\n" + trace);
                    long before = hits.getOrDefault(k, new AtomicLong()).get();
                    assertEquals(Outcome.COMPLETED, exec(hv, k, BPS[0]));
                    assertEquals(before, hits.getOrDefault(k, new AtomicLong()).get(), "no hit after close");
                    assertTrue(hv.guest(k).vcpu(0).deliveredEvents().isEmpty(), "no INT3 left\n" + trace);
                }
            } catch (Throwable e) {
                try {
                    t.close();
                } catch (RuntimeException x) {
                    e.addSuppressed(x);   // the first failure is the one to see
                }
                throw e;
            }
        }
    }

    @Provide Arbitrary<XenVersion> versions() { return Arbitraries.of(XenVersion.V4_17, XenVersion.V4_20); }

    private static DomainId pick(List<DomainId> kids, int i) { return i < kids.size() ? kids.get(i) : null; }

    private static DomainId fork(EmulatedHypervisor hv, StealthTracer t, DomainId parent) {
        DomainId c = t.keeper().fork(parent, null, false);
        hv.domainUnpause(c);
        return c;
    }

    private static Outcome exec(EmulatedHypervisor hv, DomainId d, long rip) {
        GuestCpu c = hv.guest(d).vcpu(0);
        Registers r = c.registers();
        r.rip = rip;
        c.setRegisters(r);
        return c.run(1).await(WAIT);
    }

    private static byte read(EmulatedHypervisor hv, DomainId d, long gpa) {
        GuestResult r = hv.guest(d).vcpu(0).readGpa(gpa, 1);
        assertEquals(Outcome.COMPLETED, r.await(WAIT));
        return r.data()[0];
    }
}
