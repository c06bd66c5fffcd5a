// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.XenException;
import org.xenffm.api.Xenstore;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.GuestSpec;

/** Names resolved as libxl_name_to_domid / libxl_domain_qualifier_to_domid do, on the emulator. */
class DomainNamesTest {
    final EmulatedHypervisor emu = new EmulatedHypervisor();
    final Xenstore xs = emu.xenstoreOpen();
    final DomainNames names = new DomainNames(emu, xs);

    @Test void aDomainIsFoundByItsXlName() {
        DomainId a = emu.createGuest(GuestSpec.hvm(1, 16), "alpha");
        DomainId b = emu.createGuest(GuestSpec.hvm(1, 16), "beta");
        assertEquals(b, names.find("beta"));
        assertEquals(a, names.find("alpha"));
        assertEquals(DomainId.of(0), names.find("Domain-0"));
        assertEquals(Optional.of("beta"), names.name(b));
        assertEquals(b, names.resolve("beta"));
        assertEquals(a, names.resolve(Integer.toString(a.value())));
    }

    @Test void anUnknownNameIsATypedEnoent() {
        emu.createGuest(GuestSpec.hvm(1, 16), "alpha");
        XenException e = assertThrows(XenException.class, () -> names.find("alph"));
        assertEquals("xs_read", e.operation());
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("no domain is named 'alph'") && e.getMessage().contains("2 domains"),
                e.getMessage());
        assertThrows(XenException.class, () -> names.find("ALPHA"), "names compare exactly, as strcmp");
    }

    @Test void twoDomainsWithOneNameResolveToTheLowestIdAsXlDoes() {
        DomainId first = emu.createGuest(GuestSpec.hvm(1, 16), "twin");
        DomainId second = emu.createGuest(GuestSpec.hvm(1, 16), "other");
        xs.write("/local/domain/" + second.value() + "/name", "twin");   // not through xl: nothing refuses it
        assertEquals(first, names.find("twin"));
        emu.destroyGuest(first);
        assertEquals(second, names.find("twin"));
    }

    @Test void onlyExistingDomainsAreSearched() {
        DomainId gone = emu.createGuest(GuestSpec.hvm(1, 16), "ghost");
        emu.domainDestroy(gone);   // the node stays (no toolstack), the domain does not
        assertEquals(Optional.of("ghost"), xs.read("/local/domain/" + gone.value() + "/name"));
        assertEquals(Errno.ENOENT, assertThrows(XenException.class, () -> names.find("ghost")).errno());
        DomainId bare = emu.domainCreate(DomainConfig.forkChild(1));
        assertEquals(Optional.empty(), names.name(bare));
    }

    @Test void digitsAreAnIdAnythingElseAName() {
        assertTrue(DomainNames.isId("0") && DomainNames.isId("32751"));
        assertFalse(DomainNames.isId("d1") || DomainNames.isId("0x1") || DomainNames.isId("") || DomainNames.isId("-1"));
        assertEquals(DomainId.of(77), names.resolve("77"), "an id is not checked to exist, as in libxl");
        assertThrows(IllegalArgumentException.class, () -> names.resolve("32752"));
        assertThrows(IllegalArgumentException.class, () -> names.resolve("123456789012"));
        assertThrows(IllegalArgumentException.class, () -> names.resolve(""));
    }
}
