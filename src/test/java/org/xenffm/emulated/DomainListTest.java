// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** sysctl.c XEN_SYSCTL_getdomaininfolist: ids ≥ first, in id order, at most max, dom0 included, destroyed left out. */
class DomainListTest {
    @Test void listsLiveDomainsFromFirstInIdOrder() {
        EmulatedHypervisor emu = new EmulatedHypervisor();
        DomainId a = emu.createGuest(1, 64), b = emu.createGuest(2, 64), c = emu.createGuest(1, 64);
        emu.domainDestroy(b);

        List<DomainInfo> all = emu.domainGetinfolist(DomainId.DOM0, 100);
        assertEquals(List.of(DomainId.DOM0, a, c), all.stream().map(DomainInfo::domain).toList());
        assertEquals(emu.domainGetinfo(a), all.get(1));

        assertEquals(List.of(c), emu.domainGetinfolist(DomainId.of(a.value() + 1), 100).stream()
                .map(DomainInfo::domain).toList());
        assertEquals(2, emu.domainGetinfolist(DomainId.DOM0, 2).size());
        assertTrue(emu.domainGetinfolist(DomainId.of(c.value() + 1), 100).isEmpty());
    }
}
