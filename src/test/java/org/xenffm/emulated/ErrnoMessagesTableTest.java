// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import static org.junit.jupiter.api.Assertions.*;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.HvmParam;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;

/**
 * Call × errno × condition → message: each row creates the condition on the emulator (which returns the errno real
 * Xen returns there), makes the call, and checks the errno and that the explanation is the one for that call and
 * that condition — and not another family's (a missing domain is never "no RAM at that gfn").
 */
class ErrnoMessagesTableTest {
    static final DomainId D1 = DomainId.of(1), D2 = DomainId.of(2), MISSING = DomainId.of(77);

    record Row(String call, Errno errno, String condition, HostConfig host, Consumer<EmulatedHypervisor> call0,
               String says, String neverSays) {
        @Override public String toString() { return call + " " + errno + " when " + condition; }
    }

    static Stream<Arguments> rows() {
        Gfn g = Gfn.of(0x10);
        return Stream.of(
                new Row("xc_memshr_nominate_gfn", Errno.ENOSYS, "the hypervisor has no mem_sharing", HostConfig.debian(),
                        hv -> hv.memshrNominateGfn(D1, g), "mem_sharing not built", null),
                new Row("xc_memshr_fork_reset", Errno.ENOSYS, "the domain is not a fork", HostConfig.vtx(),
                        hv -> hv.memshrForkReset(D1, true, true), "the domain is not a fork", null),
                new Row("xc_altp2m_set_mem_access", Errno.ESRCH, "the domain does not exist", HostConfig.vtx(),
                        hv -> hv.altp2mSetMemAccess(MISSING, ViewId.of(1), g, MemAccess.R), "no such domain", null),
                new Row("xc_altp2m_get_domain_state", Errno.ESRCH, "the domain does not exist", HostConfig.vtx(),
                        hv -> hv.altp2mGetDomainState(MISSING), "no such domain", "RAM"),
                // (set_mem_access on a view skips such a gfn: p2m_set_mem_access turns its ESRCH into 0)
                new Row("xc_altp2m_change_gfn", Errno.ESRCH, "nothing is mapped at the old gfn", HostConfig.vtx(),
                        hv -> {
                            hv.hvmParamSet(D1, HvmParam.ALTP2M, HvmParam.ALTP2M_EXTERNAL);
                            hv.altp2mSetDomainState(D1, true);
                            ViewId v = hv.altp2mCreateView(D1, MemAccess.RWX);
                            hv.altp2mChangeGfn(D1, v, Gfn.of(0x100000), g);
                        }, "no RAM at that gfn", null),
                new Row("xc_set_mem_access", Errno.ENODEV, "the domain has no monitor ring", HostConfig.vtx(),
                        hv -> hv.setMemAccess(D1, MemAccess.R, g, 1), "enable the monitor ring first", null),
                new Row("xc_memshr_share_gfns", Errno.ECHILD, "the source handle is stale", HostConfig.vtx(),
                        hv -> {
                            SharingHandle c = hv.memshrNominateGfn(D2, g);
                            hv.memshrShareGfns(D1, g, SharingHandle.of(0x999), D2, g, c);
                        }, "source handle invalid", null),
                new Row("xc_memshr_add_to_physmap", Errno.EINVAL, "the client gfn is 2^36, beyond the EPT",
                        HostConfig.vtx(), hv -> {
                            SharingHandle s = hv.memshrNominateGfn(D1, g);
                            hv.memshrControl(D2, true);
                            hv.memshrAddToPhysmap(D1, g, s, D2, Gfn.of(1L << 36));
                        }, "gfn ≥ 2^36", null),
                new Row("xc_memshr_range_share", Errno.EINVAL, "the range passes max_gpfn", HostConfig.vtx(),
                        hv -> {
                            hv.memshrControl(D2, true);
                            hv.domainPause(D1);
                            hv.domainPause(D2);
                            hv.memshrRangeShare(D1, D2, Gfn.of(0), Gfn.of(0xffffffffffffL));
                        }, "max_gpfn", null),
                // gfn limits per call (GfnLimitsTest): what the message says for ~0 and for gfns past the EPT
                new Row("xc_memshr_share_gfns", Errno.ENOENT, "the source gfn is ~0 (bit 62: a grant ref)",
                        HostConfig.vtx(), hv -> {
                            SharingHandle c = hv.memshrNominateGfn(D2, g);
                            hv.memshrShareGfns(D1, Gfn.INVALID, SharingHandle.of(0x999), D2, g, c);
                        }, "read as grant reference", "handle"),
                new Row("xc_set_mem_access_multi", Errno.EINVAL, "the gfn is ~0 (a gfn here, not the default)",
                        HostConfig.vtx(), hv -> {
                            hv.monitorEnable(D1);
                            hv.setMemAccessMulti(D1, java.util.List.of(new GfnAccess(Gfn.INVALID, MemAccess.R)));
                        }, "~0 counts as such a gfn here", null),
                new Row("xc_get_mem_access", Errno.EINVAL, "the gfn lies beyond max_gpfn", HostConfig.vtx(), hv -> {
                            hv.monitorEnable(D1);
                            hv.getMemAccess(D1, Gfn.of(1L << 36));
                        }, "beyond the domain's max_gpfn", null),
                new Row("xc_domain_populate_physmap_exact", Errno.EBUSY, "the gfn is 2^36, beyond the EPT",
                        HostConfig.vtx(), hv -> hv.domainPopulatePhysmapExact(D1, java.util.List.of(Gfn.of(1L << 36))),
                        "gfn ≥ 2^36", null),
                new Row("xc_monitor_enable", Errno.EBUSY, "a ring is already enabled", HostConfig.vtx(),
                        hv -> {
                            hv.monitorEnable(D1);
                            hv.monitorEnable(D1);
                        }, "already enabled", null)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void theMessageFitsTheCallAndTheCondition(Row row) {
        EmulatedHypervisor hv = new EmulatedHypervisor(row.host());
        hv.createGuest(1, 256);
        hv.createGuest(1, 256);
        Executable call = () -> row.call0().accept(hv);
        XenException e = assertThrows(XenException.class, call);
        assertEquals(row.call(), e.operation(), e.getMessage());
        assertEquals(row.errno(), e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(row.says()), () -> row + ": " + e.getMessage());
        if (row.neverSays() != null)
            assertFalse(e.getMessage().contains(row.neverSays()), () -> row + ": " + e.getMessage());
    }
}
