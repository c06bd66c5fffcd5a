// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.VcpuId;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.Entry;
import org.xenffm.emulated.P2mType;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.xenffm.cli.Run.num;
import static org.xenffm.cli.Run.obj;

/** Every verb against the emulator: JSON output parsed and checked against the emulated hypervisor's state. */
class CliEmulatedTest {
    static final DomainId D1 = DomainId.of(1), D2 = DomainId.of(2);
    EmulatedHypervisor emu;

    @BeforeEach
    void host() {
        emu = EmulatedHost.start(EmulatedHostSpec.parse("2x1024"));
    }

    Run cli(String... args) { return Run.emulatedJson(emu, args); }

    /** Runs with --json and checks exit 0 and that every stdout line is one JSON object. */
    Run ok(String... args) {
        Run r = cli(args);
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        assertFalse(r.json().isEmpty(), () -> "no JSON result: " + r);
        return r;
    }

    Map<String, Object> error(Run r, int exit) {
        assertEquals(exit, r.exit(), r::toString);
        return obj(r.single().get("error"));
    }

    Entry host(DomainId d, long gfn) { return emu.hostEntry(d, Gfn.of(gfn)); }

    void write(DomainId d, long gfn, String text) {
        var res = emu.guest(d).vcpu(0).write(Gfn.of(gfn), 0, text.getBytes(StandardCharsets.US_ASCII));
        assertEquals("COMPLETED", res.await(Duration.ofSeconds(5)).name());
    }

    @Test
    void aCommandLineClosesTheHandleItOpenedButNotALentOne() {
        EmulatedHypervisor own = EmulatedHost.start(EmulatedHostSpec.parse("1x64"));
        assertEquals(ExitCode.OK, Run.with((k, s) -> own, "--backend", "emulated", "stats").exit());
        assertThrows(IllegalStateException.class, own::version, "closed at the end of the command line");
        ok("stats");
        assertEquals("4.17", emu.version().toString(), "a lent handle stays open");
    }

    // ---- info ------------------------------------------------------------------------------------------------

    @Test
    void infoReportsWhatEachEmulatedHostHasBuiltIn() {
        Map<String, Object> vtx = Run.with(Backends::open, "--backend", "emulated", "--json", "info").single();
        assertEquals("4.17", vtx.get("xen_version"));
        assertEquals(new BigDecimal(7), vtx.get("vm_event_version"));
        assertEquals("built_in", obj(vtx.get("mem_sharing")).get("status"));
        assertEquals(BigDecimal.ZERO, obj(vtx.get("mem_sharing")).get("audit_inconsistencies"));
        assertEquals("available", obj(vtx.get("altp2m")).get("status"));
        assertEquals(Boolean.TRUE, obj(vtx.get("physinfo")).get("vmx"));
        assertTrue(((List<?>) vtx.get("monitor_capabilities")).contains("WRITE_CTRLREG"));
        assertEquals(List.of(BigDecimal.ZERO, BigDecimal.ONE, new BigDecimal(2)), vtx.get("domains"));

        Map<String, Object> debian = Run.with(Backends::open, "--backend", "emulated", "--emulated-host", "debian",
                "--json", "info").single();
        assertEquals("not_built_in", obj(debian.get("mem_sharing")).get("status"));

        Map<String, Object> amd = Run.with(Backends::open, "--backend", "emulated", "--emulated-host", "amd",
                "--json", "info").single();
        assertEquals("unavailable", obj(amd.get("altp2m")).get("status"));
        assertEquals(Boolean.TRUE, obj(amd.get("physinfo")).get("svm"));

        emu.hvmParamSet(D1, org.xenffm.api.HvmParam.ALTP2M, 2);
        emu.altp2mSetDomainState(D1, true);
        Map<String, Object> active = ok("info").single();
        assertEquals(Boolean.TRUE, obj(active.get("altp2m")).get("active"));
        assertEquals(new BigDecimal(2), obj(active.get("altp2m")).get("mode"));
    }

    // ---- mem_sharing -----------------------------------------------------------------------------------------

    @Test
    void nominateGivesHandlesFromTwoAndReusesThem() {
        List<Map<String, Object>> r = ok("nominate", "1", "0x10", "0x11").json();
        assertEquals(2, num(r.get(0).get("handle")), "first handle after boot is 2");
        assertEquals(3, num(r.get(1).get("handle")));
        assertEquals(0x11, num(r.get(1).get("gfn")));
        assertEquals(P2mType.RAM_SHARED, host(D1, 0x10).type());
        assertEquals(2, num(ok("nominate", "1", "0x10").single().get("handle")), "already shared: same handle");
        assertEquals(2, num(obj(ok("stats").single().get("shr_pages")).get("1")));

        Map<String, Object> e = error(cli("nominate", "1", "0x5000"), ExitCode.XEN_ERROR); // beyond the RAM: a hole
        assertEquals("xc_memshr_nominate_gfn", e.get("operation"));
        assertEquals("EINVAL", e.get("errno_name"));
        assertEquals(1, num(e.get("domain")));
        assertEquals(0x5000, num(e.get("gfn")));
    }

    @Test
    void shareNominatesBothAndMergesTheClientPage() {
        write(D1, 0x20, "source bytes");
        Map<String, Object> r = ok("share", "1", "0x20", "2", "0x20").single();
        assertEquals(2, num(r.get("source_handle")));
        assertEquals(3, num(r.get("client_handle")));
        assertEquals(2, num(r.get("sharers")));
        Map<String, Object> c = obj(r.get("counters"));
        assertEquals(emu.sharingFreedPages(), num(c.get("freed_pages")));
        assertEquals(1, num(c.get("freed_pages")));
        assertEquals(1, num(c.get("used_frames")));
        assertEquals(host(D1, 0x20).mfn(), host(D2, 0x20).mfn(), "one frame behind both gfns");
        assertEquals(P2mType.RAM_SHARED, host(D2, 0x20).type());
        assertEquals("source bytes", new String(emu.guest(D2).peek(Gfn.of(0x20)), 0, 12, StandardCharsets.US_ASCII));
    }

    @Test
    void shareWithAStaleHandleNamesOperationDomainGfnAndErrno() {
        ok("nominate", "1", "0x30");
        Map<String, Object> e = error(cli("share", "1", "0x30", "2", "0x30", "--source-handle", "99"),
                ExitCode.XEN_ERROR);
        assertEquals("xc_memshr_share_gfns", e.get("operation"));
        assertEquals(10, num(e.get("errno")), "XENMEM_SHARING_OP_S_HANDLE_INVALID is -ECHILD");
        assertEquals(1, num(e.get("domain")));
        assertEquals(0x30, num(e.get("gfn")));
        assertTrue(((String) e.get("message")).contains("source handle invalid"), e::toString);
        Run human = Run.with(emu, "--backend", "emulated", "share", "1", "0x30", "2", "0x30", "--source-handle", "99");
        assertTrue(human.err().contains("xc_memshr_share_gfns failed for d1, gfn 0x30: ECHILD"), human::toString);
    }

    @Test
    void grantReferencesWorkLikeGfns() {
        emu.grantAccess(D1, org.xenffm.api.GrantRef.of(5), Gfn.of(0xa0));
        emu.grantAccess(D2, org.xenffm.api.GrantRef.of(9), Gfn.of(0xa1));
        Map<String, Object> n = ok("nominate", "--gref", "1", "5").single();
        assertEquals(5, num(n.get("gref")));
        assertEquals(P2mType.RAM_SHARED, host(D1, 0xa0).type(), "gref 5 is gfn 0xa0");
        Map<String, Object> r = ok("share", "--grefs", "1", "5", "2", "9").single();
        assertEquals(5, num(r.get("source_gref")));
        assertEquals(host(D1, 0xa0).mfn(), host(D2, 0xa1).mfn());
    }

    @Test
    void clientWithSharingOffFailsOnlyWhenNotEnabled() {
        ok("nominate", "1", "0x40");
        ok("nominate", "2", "0x40"); // nominating auto-enables sharing on d2 (mem_sharing_memop)
        ok("memshr-control", "2", "off");
        Map<String, Object> e = error(cli("share", "1", "0x40", "2", "0x40", "--source-handle", "2",
                "--client-handle", "3", "--no-enable"), ExitCode.XEN_ERROR);
        assertEquals("EINVAL", e.get("errno_name"), "share does not auto-enable the client");
        ok("share", "1", "0x40", "2", "0x40", "--source-handle", "2", "--client-handle", "3");
        assertEquals(host(D1, 0x40).mfn(), host(D2, 0x40).mfn());
    }

    @Test
    void addToPhysmapFillsAHoleOfTheClient() {
        long hole = 0x3000; // beyond the client's 1024 pages
        assertFalse(host(D2, hole).valid());
        Map<String, Object> r = ok("add-to-physmap", "1", "0x50", "2", "0x3000").single();
        assertEquals(2, num(r.get("sharers")));
        assertEquals(host(D1, 0x50).mfn(), host(D2, hole).mfn());
        assertEquals(P2mType.RAM_SHARED, host(D2, hole).type());
        assertEquals(1, num(obj(r.get("counters")).get("freed_pages")));
        Map<String, Object> e = error(cli("add-to-physmap", "1", "0x50", "2", "0x51"), ExitCode.XEN_ERROR);
        assertEquals("EBADF", e.get("errno_name"), "client gfn is not a hole: C_HANDLE_INVALID");
    }

    @Test
    void rangeSharePausesAroundTheCallAndSavesPages() {
        Map<String, Object> r = ok("range-share", "1", "2", "0x100+16").single();
        assertEquals(16, num(r.get("pages_saved")));
        assertEquals(16, num(r.get("gfns")));
        for (long g = 0x100; g < 0x110; g++) assertEquals(host(D1, g).mfn(), host(D2, g).mfn());
        assertNotEquals(host(D1, 0x110).mfn(), host(D2, 0x110).mfn());
        assertFalse(emu.domainGetinfo(D1).paused(), "unpaused again");
        assertFalse(emu.domainGetinfo(D2).paused());
        assertEquals(16, emu.domainGetinfo(D2).shrPages());

        Map<String, Object> e = error(cli("range-share", "1", "2", "0x200+4", "--no-pause"), ExitCode.XEN_ERROR);
        assertEquals("xc_memshr_range_share", e.get("operation"));
        assertEquals("EINVAL", e.get("errno_name"), "Xen wants both domains paused");
    }

    @Test
    void unshareWritesThroughAMappingAndKeepsTheBytes() {
        write(D1, 0x100, "page one");
        write(D2, 0x100, "page one");
        ok("range-share", "1", "2", "0x100-0x107");
        byte[] before = emu.guest(D2).peek(Gfn.of(0x100));
        Map<String, Object> r = ok("unshare", "2", "0x100-0x103").single();
        assertEquals(4, num(r.get("unshared")));
        assertEquals(List.of(), r.get("still_shared"));
        for (long g = 0x100; g < 0x104; g++) {
            assertEquals(P2mType.RAM_RW, host(D2, g).type());
            assertNotEquals(host(D1, g).mfn(), host(D2, g).mfn(), "private copy");
        }
        assertEquals(P2mType.RAM_SHARED, host(D2, 0x104).type(), "outside the range: still shared");
        assertArrayEquals(before, emu.guest(D2).peek(Gfn.of(0x100)), "contents unchanged");
        assertEquals(4, emu.domainGetinfo(D2).shrPages());
        assertFalse(emu.domainGetinfo(D2).paused(), "unpaused again");
        assertEquals(0, num(ok("unshare", "2", "0x100").single().get("unshared")), "nothing left to unshare");
    }

    @Test
    void debugGfnReportsSharers() {
        Map<String, Object> r = ok("debug-gfn", "1", "0x60").single();
        assertEquals(Boolean.FALSE, r.get("shared"));
        ok("share", "1", "0x60", "2", "0x60");
        ok("add-to-physmap", "1", "0x60", "2", "0x3000");
        assertEquals(3, num(ok("debug-gfn", "2", "0x3000").single().get("sharers")));
    }

    @Test
    void statsMatchesTheHypervisorAndChecksTheInvariant() {
        ok("range-share", "1", "2", "0x0-0x1f");
        ok("nominate", "1", "0x300");
        Map<String, Object> s = ok("stats").single();
        assertEquals(emu.sharingFreedPages(), num(s.get("freed_pages")));
        assertEquals(emu.sharingUsedFrames(), num(s.get("used_frames")));
        assertEquals(32, num(s.get("freed_pages")));
        assertEquals(33, num(s.get("used_frames")));
        Map<String, Object> shr = obj(s.get("shr_pages"));
        assertEquals(emu.domainGetinfo(D1).shrPages(), num(shr.get("1")));
        assertEquals(33, num(shr.get("1")));
        assertEquals(32, num(shr.get("2")));
        assertEquals(Boolean.TRUE, s.get("invariant_holds"));
        assertEquals(65, num(s.get("sum_shr_pages")));
        Map<String, Object> only = ok("stats", "2").single();
        assertEquals(List.of("2"), List.copyOf(obj(only.get("shr_pages")).keySet()));
    }

    @Test
    void auditWalksDomainsAndReconstructsFrames() {
        ok("range-share", "1", "2", "0x0-0x7");
        ok("add-to-physmap", "1", "0x3", "2", "0x3000");
        List<Map<String, Object>> r = ok("audit").json();
        assertEquals("xen_audit", r.getFirst().get("check"));
        assertEquals(BigDecimal.ZERO, r.getFirst().get("inconsistencies"), "debug hypervisor audit");
        Map<String, Object> d2 = r.stream().filter(o -> "domain".equals(o.get("check"))
                && num(o.get("domain")) == 2).findFirst().orElseThrow();
        assertEquals(9, num(d2.get("shared_gfns")));
        assertEquals(Boolean.TRUE, d2.get("consistent"));
        assertEquals(emu.domainMaximumGpfn(D2) + 1, num(d2.get("gfns_walked")));
        Map<String, Object> sum = r.getLast();
        assertEquals(8, num(sum.get("frames_from_walk")), "8 frames: 7 with 2 sharers, one with 3");
        assertEquals(Boolean.TRUE, sum.get("frames_consistent"));
        assertEquals(0, num(sum.get("inconsistencies")));

        List<Map<String, Object>> part = ok("audit", "--domain", "1", "--range", "0x0-0x3").json();
        assertEquals(3, part.size(), "xen audit, one domain, summary");
        assertEquals(4, num(part.get(1).get("shared_gfns")));
        assertEquals(4, num(part.get(1).get("gfns_walked")));
        assertNull(part.get(2).get("frames_from_walk"), "no frame check on a partial walk");

        Map<String, Object> e = error(Run.with(Backends::open, "--backend", "emulated", "--emulated-host", "debian",
                "--json", "audit"), ExitCode.XEN_ERROR);
        assertEquals("ENOSYS", e.get("errno_name"), "no mem_sharing: nothing to audit");
    }

    // ---- altp2m ----------------------------------------------------------------------------------------------

    @Test
    void altp2mLifecycle() {
        Map<String, Object> e = error(cli("altp2m", "create", "1"), ExitCode.XEN_ERROR);
        assertEquals("xc_altp2m_create_view", e.get("operation"));
        assertEquals("EOPNOTSUPP", e.get("errno_name"), "altp2m not active yet");

        ok("altp2m", "enable", "1");
        assertTrue(emu.altp2mGetDomainState(D1));
        Map<String, Object> st = ok("altp2m", "state", "1").single();
        assertEquals("external", st.get("mode"));
        assertEquals(List.of(BigDecimal.ZERO), st.get("vcpu_views"));

        assertEquals(1, num(ok("altp2m", "create", "1", "--default-access", "rwx").single().get("view")));
        assertEquals(2, num(ok("altp2m", "create", "1").single().get("view")));
        ok("altp2m", "switch", "1", "1");
        assertEquals(ViewId.of(1), emu.altp2mGetVcpuP2mIdx(D1, VcpuId.of(0)));
        assertEquals(1, num(ok("altp2m", "vcpu-view", "1", "0").single().get("view")));
        assertEquals("EBUSY", error(cli("altp2m", "destroy", "1", "1"), ExitCode.XEN_ERROR).get("errno_name"));

        ok("altp2m", "visibility", "1", "2", "off");
        assertEquals("EINVAL", error(cli("altp2m", "switch", "1", "2"), ExitCode.XEN_ERROR).get("errno_name"),
                "a hidden view cannot be switched to");
        ok("altp2m", "visibility", "1", "2", "on");
        ok("altp2m", "switch", "1", "2");

        ok("altp2m", "switch", "1", "0");
        ok("altp2m", "destroy", "1", "1");
        assertEquals("EBUSY", error(cli("altp2m", "destroy", "1", "1"), ExitCode.XEN_ERROR).get("errno_name"));
        ok("altp2m", "disable", "1");
        assertFalse(emu.altp2mGetDomainState(D1));
        assertEquals(Boolean.FALSE, ok("altp2m", "state", "1").single().get("active"));
    }

    @Test
    void altp2mAccessChangeGfnAndSuppressVe() {
        ok("altp2m", "enable", "1");
        ok("altp2m", "create", "1");
        ok("altp2m", "access", "set", "1", "1", "rx", "0x30");
        assertEquals(MemAccess.RX, emu.viewEntry(D1, ViewId.of(1), Gfn.of(0x30)).orElseThrow().access());
        assertEquals("rx", ok("altp2m", "access", "get", "1", "1", "0x30").single().get("access"));
        ok("altp2m", "access", "set", "1", "1", "n", "0x40+4");
        List<Map<String, Object>> got = ok("altp2m", "access", "get", "1", "1", "0x40-0x43").json();
        assertEquals(4, got.size());
        for (var g : got) assertEquals("n", g.get("access"));
        ok("altp2m", "access", "set", "1", "0", "r", "0x44");
        assertEquals(MemAccess.R, host(D1, 0x44).access(), "view 0 means the host p2m in these calls");

        ok("altp2m", "change-gfn", "1", "1", "0x50", "0x51");
        assertEquals(host(D1, 0x51).mfn(), emu.viewEntry(D1, ViewId.of(1), Gfn.of(0x50)).orElseThrow().mfn());
        Map<String, Object> rm = ok("altp2m", "change-gfn", "1", "1", "0x50", "invalid").single();
        assertNull(rm.get("new_gfn"));
        assertTrue(emu.viewEntry(D1, ViewId.of(1), Gfn.of(0x50)).isEmpty(), "remap removed");

        ok("altp2m", "suppress-ve", "set", "1", "1", "0x60+4", "off");
        assertFalse(emu.viewEntry(D1, ViewId.of(1), Gfn.of(0x63)).orElseThrow().suppressVe());
        assertEquals(Boolean.FALSE, ok("altp2m", "suppress-ve", "get", "1", "1", "0x61").single().get("suppress_ve"));
        ok("altp2m", "suppress-ve", "set", "1", "1", "0x61", "on");
        assertEquals(Boolean.TRUE, ok("altp2m", "suppress-ve", "get", "1", "1", "0x61").single().get("suppress_ve"));
    }

    @Test
    void viewCallsOnUncopiedSharedGfnsAreRefusedOrCrashTheHypervisor() {
        ok("share", "1", "0x70", "2", "0x70");
        ok("altp2m", "enable", "1");
        ok("altp2m", "create", "1");
        Map<String, Object> e = error(cli("altp2m", "access", "set", "1", "1", "rx", "0x70"),
                ExitCode.REFUSED_UNSAFE);
        assertEquals("refused_unsafe", e.get("type"));
        assertTrue(((String) e.get("message")).contains("mm-locks.h:80"), e::toString);
        assertEquals(ExitCode.REFUSED_UNSAFE, cli("altp2m", "change-gfn", "1", "1", "0x71", "0x70").exit());
        assertFalse(emu.crashed(), "refused before any call was made");
        assertEquals(P2mType.RAM_SHARED, host(D1, 0x70).type());

        // once the view holds its own copy of the entry, Xen uses it as is: no unshare, no crash (scenario 13)
        emu.altp2mSwitchToView(D1, ViewId.of(1));
        assertEquals("COMPLETED", emu.guest(D1).vcpu(0).read(Gfn.of(0x70), 0, 8).await(Duration.ofSeconds(5)).name());
        ok("altp2m", "access", "set", "1", "1", "rx", "0x70");
        assertEquals(P2mType.RAM_SHARED, host(D1, 0x70).type(), "still shared");
        emu.altp2mSwitchToView(D1, ViewId.of(0));

        // --force goes ahead, and the emulated Xen panics as Xen 4.17.5 did
        ok("share", "1", "0x72", "2", "0x72");
        Map<String, Object> crash = error(cli("altp2m", "access", "set", "1", "1", "rx", "0x72", "--force"),
                ExitCode.HYPERVISOR_CRASHED);
        assertEquals("hypervisor_crashed", crash.get("type"));
        assertTrue(emu.crashed());
        assertEquals(ExitCode.HYPERVISOR_CRASHED, cli("stats").exit(), "a dead host stays dead");
    }

    @Test
    void keepViewsSetsTheWatchSafelyAndKeepsItAcrossUnshare() throws Exception {
        java.nio.file.Path script = java.nio.file.Files.createTempFile("xenffm", ".batch");
        java.nio.file.Files.writeString(script, """
                share 1 0x10 2 0x10
                altp2m create 2
                altp2m access set 2 1 rx 0x10
                unshare 2 0x10
                altp2m access get 2 1 0x10
                """);
        Run r = Run.with(emu, "--backend", "emulated", "--json", "--keep-views", "batch", script.toString());
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        List<Map<String, Object>> out = r.json();
        assertEquals("rx", out.getLast().get("access"), "the keeper re-applied the view after the unshare");
        assertEquals(MemAccess.RX, emu.viewEntry(D2, ViewId.of(1), Gfn.of(0x10)).orElseThrow().access());
        assertEquals(P2mType.RAM_RW, host(D2, 0x10).type(), "unshared");
        assertFalse(emu.crashed());
        java.nio.file.Files.delete(script);

        // the same view call in one shot, raw: refused, because Xen 4.17 would panic
        ok("share", "1", "0x11", "2", "0x11");
        assertEquals(ExitCode.REFUSED_UNSAFE, cli("altp2m", "access", "set", "2", "1", "rx", "0x11").exit());
        // with --keep-views in one shot the keeper does not know a view created earlier
        Run unknown = cli("--keep-views", "altp2m", "access", "set", "2", "1", "rx", "0x11");
        assertEquals(ExitCode.USAGE, unknown.exit(), unknown::toString);
        assertTrue(unknown.err().contains("was not created through xenffm"), unknown::toString);
    }

    @Test
    void keepViewsOnXen420RefusesAViewOnASharedGfn() throws Exception {
        java.nio.file.Path script = java.nio.file.Files.createTempFile("xenffm", ".batch");
        java.nio.file.Files.writeString(script, """
                share 1 0x10 2 0x10
                altp2m create 2
                altp2m access set 2 1 rx 0x10
                """);
        Run r = Run.with(Backends::open, "--backend", "emulated", "--emulated-host", "xen420", "--emulated-domains",
                "1024+altp2m,1024+altp2m", "--json", "--keep-views", "batch", script.toString());
        assertEquals(ExitCode.REFUSED_UNSAFE, r.exit(), r::toString);
        @SuppressWarnings("unchecked")
        Map<String, Object> e = (Map<String, Object>) r.json().getLast().get("error");   // after the two results
        assertEquals("SHARED_AND_DECLARED_ON_4_19", e.get("hazard"), e::toString);
        assertTrue(String.valueOf(e.get("message")).contains("Xen 4.20"), e::toString);
        java.nio.file.Files.delete(script);
    }

    @Test
    void keepViewsRangeShareReportsEveryGfn() {
        write(D2, 0x202, "only in d2");
        List<Map<String, Object>> out = ok("--keep-views", "range-share", "1", "2", "0x200+4").json();
        assertEquals(2, out.size(), "one refused gfn, then the summary");
        assertEquals(0x202, num(out.getFirst().get("gfn")));
        assertTrue(((String) out.getFirst().get("reason")).contains("differ"), out::toString);
        assertEquals(3, num(out.getLast().get("shared")));
        assertEquals(1, num(out.getLast().get("refused")));
        assertEquals(host(D1, 0x203).mfn(), host(D2, 0x203).mfn());
        assertNotEquals(host(D1, 0x202).mfn(), host(D2, 0x202).mfn(), "different contents stay private");
        assertEquals(P2mType.RAM_RW, host(D2, 0x202).type(), "not left half-nominated");
    }

    @Test
    void ledgerCarriesDeclarationsAcrossRunsAndKeepHoldsTheView() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("xenffm-ledger");
        String ledger = dir.resolve("ledger").toString();
        ok("--ledger", ledger, "share", "1", "0x10", "2", "0x10");
        ok("--ledger", ledger, "altp2m", "create", "2");
        ok("--ledger", ledger, "altp2m", "switch", "2", "1");
        ok("--ledger", ledger, "altp2m", "access", "set", "2", "1", "rx", "0x10"); // no refusal: safe order
        assertEquals(2, emu.memshrDebugGfn(D2, Gfn.of(0x10)), "still shared");
        String saved = java.nio.file.Files.readString(java.nio.file.Path.of(ledger));
        assertTrue(saved.contains("access 2 1 0x10 rx"), saved);

        var result = new java.util.concurrent.atomic.AtomicReference<Run>();
        Thread keep = Thread.ofPlatform().start(() -> result.set(cli("--ledger", ledger, "keep", "--timeout", "4s")));
        // Write only once keep has armed d2 (its write-less default needs the monitor session keep opened first):
        // a write before that runs unmonitored, and however long keep takes to start, its 4 s begin after arming.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!armed(D2)) {
            assertTrue(keep.isAlive() && System.nanoTime() < deadline, "keep armed d2 while it ran");
            Thread.sleep(5);
        }
        var w = emu.guest(D2).vcpu(0).write(Gfn.of(0x10), 0, new byte[] {7});
        assertTrue(w.eventsSent() > 0, "the write raised an event while keep ran");
        // keep answers it; at the latest its teardown at the timeout answers every request on the ring
        assertEquals(org.xenffm.emulated.Outcome.COMPLETED, w.await(Duration.ofSeconds(30)));
        assertTrue(keep.join(Duration.ofSeconds(30)), "keep stopped at its timeout");
        Run r = result.get();
        assertNotNull(r, "keep stopped at its timeout");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        List<Map<String, Object>> out = r.json();
        assertTrue(out.stream().anyMatch(o -> "mem_access".equals(o.get("event")) && num(o.get("gfn")) == 0x10
                && num(o.get("domain")) == 2), r::toString);
        assertEquals("stopped", out.getLast().get("keep"));
        assertEquals(MemAccess.RX, emu.altp2mGetMemAccess(D2, ViewId.of(1), Gfn.of(0x10)), "the view kept rx");
        assertEquals(7, emu.guest(D2).peek(Gfn.of(0x10))[0], "the write went through (emulated)");
        assertEquals(ExitCode.USAGE, cli("keep").exit(), "keep needs --ledger");
    }

    /** keep's write-less default is in force (the default access can only be read while a monitor ring exists). */
    private boolean armed(DomainId d) {
        try {
            return emu.getMemAccess(d, Gfn.INVALID) == MemAccess.RX;
        } catch (org.xenffm.api.XenException noRingYet) {
            return false;
        }
    }

    @Test
    void keepViewsShareRefusesDifferentContents() {
        write(D1, 0x12, "one");
        write(D2, 0x12, "two");
        Run r = cli("--keep-views", "share", "1", "0x12", "2", "0x12");
        assertEquals(ExitCode.USAGE, r.exit(), r::toString);
        assertTrue(r.err().contains("differ"), r::toString);
        assertNotEquals(host(D1, 0x12).mfn(), host(D2, 0x12).mfn(), "nothing shared");
    }

    // ---- host mem_access ---------------------------------------------------------------------------------------

    @Test
    void hostAccessNeedsTheMonitorRing() {
        Map<String, Object> e = error(cli("access", "set", "1", "rx", "0x10"), ExitCode.XEN_ERROR);
        assertEquals("xc_set_mem_access", e.get("operation"));
        assertEquals("ENODEV", e.get("errno_name"));
        assertTrue(((String) e.get("message")).contains("xc_monitor_enable"), e::toString);

        emu.monitorEnable(D1);
        ok("access", "set", "1", "rx", "0x10+3");
        for (long g = 0x10; g < 0x13; g++) assertEquals(MemAccess.RX, host(D1, g).access());
        assertEquals(MemAccess.RWX, host(D1, 0x13).access());
        List<Map<String, Object>> got = ok("access", "get", "1", "0x12-0x13").json();
        assertEquals("rx", got.get(0).get("access"));
        assertEquals("rwx", got.get(1).get("access"));
        assertEquals("rwx", ok("access", "default", "1").single().get("default_access"));
        assertEquals("r", ok("access", "default", "1", "r").single().get("default_access"));
        assertEquals(MemAccess.R, emu.getMemAccess(D1, Gfn.INVALID));
        emu.monitorDisable(D1);
    }

    // ---- fork ------------------------------------------------------------------------------------------------

    @Test
    void forkCreatesAChildAndResetDropsItsPrivatePages() {
        Map<String, Object> f = ok("fork", "1", "--block-interrupts").single();
        DomainId child = DomainId.of((int) num(f.get("child")));
        assertEquals(3, child.value());
        assertEquals(Boolean.TRUE, f.get("created"));
        assertTrue(emu.domainGetinfo(child).paused(), "the child stays paused without --unpause");
        emu.domainUnpause(child);
        write(child, 0x80, "child private");
        assertEquals(P2mType.RAM_RW, host(child, 0x80).type());
        Map<String, Object> r = ok("fork-reset", "3", "--memory").single();
        assertEquals(Boolean.TRUE, r.get("reset_memory"));
        assertEquals(Boolean.FALSE, r.get("reset_state"));
        assertTrue(num(r.get("tot_pages_before")) > num(r.get("tot_pages_after")));
        assertFalse(host(child, 0x80).valid(), "private page dropped; re-populated on next access");

        assertEquals("ENOSYS", error(cli("fork-reset", "2"), ExitCode.XEN_ERROR).get("errno_name"),
                "not a fork");
    }

    @Test
    void failedForkDestroysTheChildItCreated() {
        EmulatedHypervisor twoVcpus = EmulatedHost.start(EmulatedHostSpec.parse("1024:2"));
        int before = twoVcpus.domainGetinfolist(DomainId.DOM0, 100).size();
        Run r = Run.with(twoVcpus, "--backend", "emulated", "--json", "fork", "1", "--child", "1");
        assertEquals(ExitCode.XEN_ERROR, r.exit(), r::toString);
        assertEquals(before, twoVcpus.domainGetinfolist(DomainId.DOM0, 100).size());

        EmulatedHypervisor debian = EmulatedHost.start(EmulatedHostSpec.parse("1x1024",
                EmulatedHostSpec.HostKind.debian));
        Run d = Run.with(debian, "--backend", "emulated", "--json", "fork", "1");
        assertEquals("ENOSYS", error(d, ExitCode.XEN_ERROR).get("errno_name"));
        assertEquals(2, debian.domainGetinfolist(DomainId.DOM0, 100).size(), "d0 and d1 only: child destroyed");
    }

    // ---- monitor, demo, batch ------------------------------------------------------------------------------------

    @Test
    void monitorPrintsAMemAccessEventAndRestoresOnExit() throws Exception {
        var result = new java.util.concurrent.atomic.AtomicReference<Run>();
        Thread t = Thread.ofPlatform().start(() -> result.set(cli("monitor", "1", "--mem-access", "0x30=r",
                "--count", "1", "--timeout", "20s")));
        var cpu = emu.guest(D1).vcpu(0);
        boolean raised = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!raised && System.nanoTime() < deadline) {
            var w = cpu.write(Gfn.of(0x30), 8, new byte[] {42});
            raised = w.eventsSent() > 0;
            w.await(Duration.ofSeconds(10));
            if (!raised) Thread.sleep(20);
        }
        assertTrue(raised, "the write raised an event once the monitor was up");
        t.join(Duration.ofSeconds(20).toMillis());
        Run r = result.get();
        assertNotNull(r, "monitor ended after one event");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        Map<String, Object> ev = r.single();
        assertEquals("mem_access", ev.get("event"));
        assertEquals(0x30, num(ev.get("gfn")));
        assertEquals(8, num(ev.get("offset")));
        assertEquals(Boolean.TRUE, ev.get("write"));
        assertEquals(42, emu.guest(D1).peek(Gfn.of(0x30))[8], "EMULATE let the write complete");
        assertEquals(MemAccess.RWX, host(D1, 0x30).access(), "access restored on exit");
        assertEquals("EINVAL", assertThrows(org.xenffm.api.XenException.class, () -> emu.monitorDisable(D1))
                .errno().name(), "ring disabled on exit");
    }

    @Test
    void monitorStopsAtItsTimeoutAndDisablesWhatItEnabled() {
        Run r = cli("monitor", "1", "--cr3", "--msr", "0xc0000082", "--timeout", "300ms");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        assertEquals("", r.out().strip(), "no events, and no narration in --json mode");
        // disabled again on exit: enabling now succeeds instead of EEXIST, and the ring is gone (ENXIO for MSRs)
        emu.monitorWriteCtrlreg(D1, org.xenffm.api.ControlRegister.CR3, true, true, 0, true);
        assertEquals("ENXIO", assertThrows(org.xenffm.api.XenException.class,
                () -> emu.monitorMovToMsr(D1, 0xc0000082, true, false)).errno().name());
        assertEquals(ExitCode.USAGE, cli("monitor", "1", "--timeout", "soon").exit());
    }

    @Test
    void demoRunsOnTheEmulatorByDefault() {
        Run r = Run.with(Backends::open, "--json", "demo");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        List<Map<String, Object>> steps = r.json();
        assertEquals(List.of("boot", "range_share", "stealth view", "guest write", "view kept", "fork", "fork_reset",
                "summary"), steps.stream().map(s -> s.get("step")).toList());
        assertEquals(256, num(obj(steps.get(1).get("counters")).get("freed_pages")));
        assertEquals(256, num(obj(steps.get(2).get("counters")).get("freed_pages")),
                "the sharing-aware layer sets the watch without giving up the shared page");
        assertEquals(255, num(obj(steps.get(3).get("counters")).get("freed_pages")), "the guest write unshared it");
        assertEquals(1, num(steps.get(3).get("events")), "... and the same write arrived as an event");
        assertTrue(((String) steps.get(3).get("text")).contains("view access rx"), steps.get(3)::toString);
        assertEquals(2, num(steps.get(4).get("events")), "the view kept its watch for the next write");
        Map<String, Object> summary = steps.getLast();
        assertEquals(Boolean.TRUE, summary.get("invariant_holds"));
        assertEquals(2, num(summary.get("events")));

        Run human = Run.with(Backends::open, "demo");
        assertEquals(ExitCode.OK, human.exit(), human::toString);
        String text = human.out().replaceAll("\\s+", " "); // the narration is word-wrapped
        assertTrue(text.contains("MEM_ACCESS write at gpa 0x180010 from vcpu 0 in view 1"), human::toString);
        // 514: the fork also shares its vCPU's CR3 gfn 0x100 (hap_update_paging_modes during xc_memshr_fork)
        assertTrue(human.out().contains("sum of shr_pages 514 = freed + used 514"), human::toString);

        assertEquals(ExitCode.XEN_NOT_AVAILABLE, Run.real("--backend", "xen", "demo").exit(),
                "asked for real Xen explicitly");
    }

    @Test
    void xen420HostChoosesAltp2mAtCreation() {
        Map<String, Object> info = Run.with(Backends::open, "--backend", "emulated", "--emulated-host", "xen420",
                "--json", "info").single();
        assertEquals("4.20", info.get("xen_version"));
        Run plain = Run.with(Backends::open, "--backend", "emulated", "--emulated-host", "xen420", "--json",
                "altp2m", "enable", "1");
        Map<String, Object> e = error(plain, ExitCode.XEN_ERROR);
        assertEquals("xc_hvm_param_set", e.get("operation"));
        assertEquals("EEXIST", e.get("errno_name"), "HVM_PARAM_ALTP2M is read-only on Xen >= 4.19");
        assertTrue(String.valueOf(e.get("message")).contains("altp2m = \"external\""), e::toString);
        Run created = Run.with(Backends::open, "--backend", "emulated", "--emulated-host", "xen420",
                "--emulated-domains", "1024+altp2m", "--json", "altp2m", "enable", "1");
        assertEquals(ExitCode.OK, created.exit(), created::toString);
        assertEquals("external", created.single().get("mode"));

        assertEquals(ExitCode.USAGE, Run.with(Backends::open, "--emulated-host", "xen420", "demo").exit());
        Run demo = Run.with(Backends::open, "--emulated-host", "xen420", "--emulated-domains", "4096,4096+altp2m",
                "--json", "demo");
        assertEquals(ExitCode.OK, demo.exit(), demo::toString);
        assertEquals(2, num(demo.json().getLast().get("events")));
        Map<String, Object> watch = demo.json().stream().filter(m -> "stealth view".equals(m.get("step")))
                .findFirst().orElseThrow();
        assertTrue(String.valueOf(watch.get("text")).contains("cannot be kept on a shared page"), watch::toString);
    }

    @Test
    void rawDemoShowsTheWatchLostToTheUnshare() {
        Run r = Run.with(Backends::open, "--json", "demo", "--raw");
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        List<Map<String, Object>> steps = r.json();
        assertEquals(0, num(steps.get(3).get("events")), "raw Xen 4.17: the unsharing write raises no event");
        assertTrue(((String) steps.get(3).get("text")).contains("host default (rwx)"), steps.get(3)::toString);
        assertEquals(1, num(steps.get(4).get("events")), "re-armed by hand, the next write is caught");
    }

    @Test
    void batchCarriesStateFromVerbToVerb() throws Exception {
        java.nio.file.Path script = java.nio.file.Files.createTempFile("xenffm", ".batch");
        java.nio.file.Files.writeString(script, """
                # two nominations, then a share with their handles
                nominate 1 0x90
                nominate 2 0x90
                share 1 0x90 2 0x90 --source-handle 2 --client-handle 3
                stats
                """);
        Run r = Run.with(Backends::open, "--backend", "emulated", "--json", "batch", script.toString());
        assertEquals(ExitCode.OK, r.exit(), r::toString);
        List<Map<String, Object>> out = r.json();
        assertEquals(4, out.size());
        assertEquals(1, num(out.getLast().get("freed_pages")));

        java.nio.file.Files.writeString(script, "nominate 1 0x90\nshare 1 0x90 2 0x90 --client-handle 7\nstats\n");
        Run bad = Run.with(Backends::open, "--backend", "emulated", "--json", "batch", script.toString());
        assertEquals(ExitCode.XEN_ERROR, bad.exit(), bad::toString);
        assertEquals("EBADF", obj(bad.json().getLast().get("error")).get("errno_name"));
        assertTrue(bad.err().contains("batch line 2"), bad::toString);
        java.nio.file.Files.delete(script);

        var stdin = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("nominate 1 0x91\nstats\n".getBytes(StandardCharsets.UTF_8)));
            Run piped = Run.with(Backends::open, "--backend", "emulated", "--json", "batch");
            assertEquals(ExitCode.OK, piped.exit(), piped::toString);
            assertEquals(1, num(piped.json().getLast().get("used_frames")), "read from stdin");
        } finally {
            System.setIn(stdin);
        }
    }
}
