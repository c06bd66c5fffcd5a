// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xenffm.bindings.VersionDiff.ConstantChange;
import org.xenffm.bindings.VersionDiff.MemberChange;
import org.xenffm.bindings.VersionDiff.Report;
import org.xenffm.bindings.VersionDiff.TypeChange;

/**
 * bindings/DIFF-4.17-4.20.md is what VersionDiff makes of the committed xen417 and xen420 packages, and that
 * comparison surfaces the 4.17 → 4.20 changes the FFM backend must handle (real-xen-under-emulation.md, "Xen 4.20").
 */
class VersionDiffTest {

    static final String OLD = "xen417", NEW = "xen420";
    static final Path REPORT = XenVersions.REPO.resolve("bindings/DIFF-4.17-4.20.md");
    static Report report;

    @BeforeAll
    static void compare() throws Exception {
        report = VersionDiff.compare(OLD, NEW, XenVersions.REPO);
    }

    @Test
    void committedReportIsCurrent() throws Exception {
        assertTrue(Files.exists(REPORT), REPORT + " missing: run bindings/regenerate.sh");
        List<String> want = VersionDiff.markdown(report).lines().toList();
        List<String> have = Files.readString(REPORT).lines().toList();
        for (int i = 0; i < Math.max(want.size(), have.size()); i++) {
            String w = i < want.size() ? want.get(i) : "<end of file>", h = i < have.size() ? have.get(i) : "<end of file>";
            if (!w.equals(h)) {
                fail(REPORT + " is stale (bindings or args changed); rerun bindings/regenerate.sh for either version,"
                        + " or after `mvn test-compile`: java -cp bindings/target/classes:src/target/test-classes"
                        + " src/test/java/org/xenffm/bindings/VersionDiff.java xen417 xen420 . > " + "bindings/DIFF-4.17-4.20.md"
                        + "\nfirst difference at line " + (i + 1) + ":\n  committed: " + h + "\n  generated: " + w);
            }
        }
    }

    @Test
    void xcDomainGetinfoIsGoneAndGetinfoSingleReplacesIt() {
        var gone = report.function("xc_domain_getinfo");
        assertNotNull(gone, "xc_domain_getinfo must be reported");
        assertNull(gone.newProto(), "xc_domain_getinfo was removed in 4.18");
        assertTrue(gone.oldProto().contains("xc_dominfo_t *info"), gone.oldProto());
        TypeChange dominfo = report.type("xc_dominfo_t");
        assertNotNull(dominfo);
        assertNull(dominfo.now(), "xc_dominfo_t went with it");
        var single = report.function("xc_domain_getinfo_single");
        assertNotNull(single);
        assertNull(single.oldProto(), "new in 4.18");
        assertTrue(single.newProto().contains("xc_domaininfo_t *info"), single.newProto());
        // the struct both versions' getinfolist/getinfo_single fill did not change
        assertTrue(report.unchangedTypes().contains("xc_domaininfo_t"), "xc_domaininfo_t layout unchanged");
    }

    @Test
    void memAccessDefaultMovedFrom10To11ForReadPagewalkWrite() {
        ConstantChange dflt = report.constant("XENMEM_access_default");
        assertNotNull(dflt, "XENMEM_access_default changed value");
        assertEquals(10, dflt.old().bits());
        assertEquals(11, dflt.now().bits());
        ConstantChange rpw = report.constant("XENMEM_access_r_pw");
        assertNotNull(rpw);
        assertNull(rpw.old());
        assertEquals(10, rpw.now().bits());
        // n..n2rwx keep their values: only default moved
        assertNull(report.constant("XENMEM_access_rx2rw"));
        assertNull(report.constant("XENMEM_access_n2rwx"));
    }

    @Test
    void altp2mModeIsACreationOption() {
        TypeChange create = report.type("xen_domctl_createdomain");
        assertNotNull(create, "xen_domctl_createdomain changed");
        MemberChange opts = create.members().stream().filter(m -> m.path().equals("altp2m_opts")).findFirst()
                .orElseThrow(() -> new AssertionError("altp2m_opts not reported: " + create.members()));
        assertNull(opts.old());
        assertEquals(4, opts.now().size());
        for (String mode : List.of("XEN_DOMCTL_ALTP2M_mixed", "XEN_DOMCTL_ALTP2M_external", "XEN_DOMCTL_ALTP2M_limited",
                "XEN_DOMCTL_ALTP2M_mode_mask")) {
            assertNotNull(report.constant(mode), mode);
            assertNull(report.constant(mode).old(), mode);
        }
        assertEquals(2, report.constant("XEN_DOMCTL_ALTP2M_external").now().bits());
        // the HVM param modes are numbered the same way and did not change
        assertNull(report.constant("XEN_ALTP2M_external"));
    }

    @Test
    void ioInstructionEventsAreNew() {
        assertEquals(16, report.constant("VM_EVENT_REASON_IO_INSTRUCTION").now().bits());
        assertEquals(13, report.constant("XEN_DOMCTL_MONITOR_EVENT_IO").now().bits());
        assertNull(report.function("xc_monitor_io").oldProto());
        assertNull(report.type("vm_event_io").old());
        TypeChange st = report.type("vm_event_st");
        assertNotNull(st, "vm_event_st gained u.io");
        assertTrue(st.members().stream().anyMatch(m -> m.path().equals("u.io") && m.old() == null), st.members().toString());
        // ...without changing the ring ABI: same request size, same interface version
        assertEquals(st.old().layout().byteSize(), st.now().layout().byteSize());
        assertTrue(report.type("vm_event_sring_entry") != null, "the ring entry union gained req.u.io and rsp.u.io");
        assertNull(report.constant("VM_EVENT_INTERFACE_VERSION"), "VM_EVENT_INTERFACE_VERSION unchanged");
    }

    /**
     * io/ring.h turned {@code ring[1]} into a flexible array member (4.18): sizeof(vm_event_sring) went from one
     * header plus one entry (464) to the header alone (64). The ring itself is the same: entries start at 64 and are
     * 400 bytes, so RING_SIZE on a 4 KiB page is still 8 (__RD32((4096 - 64) / 400)). Code that derives the ring size
     * from the struct size would be wrong on one version; the report must say so.
     */
    @Test
    void sringSizeChangedButNotTheRing() {
        TypeChange sring = report.type("vm_event_sring");
        assertNotNull(sring, "vm_event_sring's size changed");
        assertEquals(464, sring.old().layout().byteSize());
        assertEquals(64, sring.now().layout().byteSize());
        MemberChange ring = sring.members().stream().filter(m -> m.path().equals("ring")).findFirst().orElseThrow();
        assertEquals(new VersionDiff.Slot(64, 400), ring.old());
        assertEquals(new VersionDiff.Slot(64, 0), ring.now());
        assertTrue(sring.members().stream().noneMatch(m -> m.path().equals("ring[0]")),
                "entries start at the same offset with the same size in both: " + sring.members());
    }

    @Test
    void reportNamesEveryDifference() {
        String md = VersionDiff.markdown(report);
        for (String name : List.of("xc_domain_getinfo`", "xc_domain_getinfo_single`", "xc_monitor_io`",
                "XENMEM_access_default`", "XENMEM_access_r_pw`", "XEN_DOMCTL_ALTP2M_external`", "altp2m_opts`",
                "VM_EVENT_REASON_IO_INSTRUCTION`", "u.io`", "struct vm_event_io`")) {
            assertTrue(md.contains("`" + name), "report lacks " + name);
        }
    }
}
