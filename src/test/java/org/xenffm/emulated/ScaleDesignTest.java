// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The structure behind the scale targets (the timings themselves are in src/jmh: EmulatorScaleBench): untouched RAM
 * is implicit, a fork copies no p2m entry (it populates only its vCPU's CR3 gfn), fork_reset and destroy only visit what was touched.
 */
class ScaleDesignTest {
    @Test void untouchedGuestRamIsImplicit() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
        DomainId d = emu.createGuest(4, 4L << 20);   // 16 GiB
        Host h = emu.host();
        Domain dom = h.domainOrNull(d.value());
        assertEquals(8, dom.host.touchedCount(), "only the special pages are explicit");
        assertEquals(8, h.frames.materialisedCount());
        assertEquals(4L << 20, emu.domainGetinfo(d).totPages() - 8);
        // reads of untouched RAM materialise nothing
        emu.guest(d).vcpu(0).read(Gfn.of(3L << 20), 0, 8);
        assertEquals(8, h.frames.materialisedCount());
        // a write touches exactly one entry's frame
        emu.guest(d).vcpu(0).write(Gfn.of(3L << 20), 0, new byte[]{1});
        assertEquals(9, h.frames.materialisedCount());
        assertEquals(8, dom.host.touchedCount(), "contents do not need an explicit entry");
    }

    @Test void forkCopiesNoEntriesAndResetVisitsOnlyTouched() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx().withTotalPages(64L << 20));
        DomainId p = emu.createGuest(1, 4L << 20);
        DomainId c = emu.domainCreate(DomainConfig.forkChild(1));
        emu.memshrFork(p, c, false, false);
        Domain child = emu.host().domainOrNull(c.value());
        // hap_update_paging_modes' get_gfn of the loaded vCPU's CR3 gfn (read-shared), and the 4 special pages
        // copy_special_pages gives the fork (xenstore, ioreq, bufioreq, console): nothing that grows with the parent
        assertEquals(5, child.host.touchedCount());
        emu.domainUnpause(c);
        for (int i = 0; i < 10; i++) emu.guest(c).vcpu(0).write(Gfn.of(i * 100_000L), 0, new byte[]{1});
        assertEquals(15, child.host.touchedCount());
        emu.memshrForkReset(c, false, true);
        assertEquals(1, child.host.touchedCount(), "reset dropped the 10 private pages and the special pages; the shared CR3 gfn stays");
        long free = emu.physinfo().freePages();
        emu.domainDestroy(c);
        assertEquals(free, emu.physinfo().freePages(), "reset already freed the fork's pages");
        emu.domainDestroy(p);
        assertEquals(64L << 20, emu.physinfo().freePages(), "every page back on the heap");
    }
}
