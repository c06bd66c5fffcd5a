// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.XenException;
import org.xenffm.api.Xenstore;

/** The emulated xenstore: what xen-init-dom0, xl create and xl destroy leave in it, and xenstored's errnos. */
class XenstoreRulesTest {
    final EmulatedHypervisor emu = new EmulatedHypervisor();
    final Xenstore xs = emu.xenstoreOpen();

    @Test void dom0IsNamedAsXenInitDom0NamesIt() {
        assertEquals(Optional.of("Domain-0"), xs.read("/local/domain/0/name"));
        assertEquals(Optional.of("0"), xs.read("/local/domain/0/domid"));
        assertEquals(List.of("0"), xs.directory("/local/domain"));
        assertEquals(List.of("local"), xs.directory("/"));
    }

    @Test void aGuestIsNamedAtCreationAndItsDirectoryGoesWithXlDestroy() {
        DomainId web = emu.createGuest(GuestSpec.hvm(1, 64), "web");
        DomainId other = emu.createGuest(GuestSpec.hvm(1, 64));
        assertEquals(Optional.of("web"), xs.read("/local/domain/" + web.value() + "/name"));
        assertEquals(Optional.of(Integer.toString(web.value())), xs.read("/local/domain/" + web.value() + "/domid"));
        assertEquals(Optional.of("guest" + other.value()), xs.read("/local/domain/" + other.value() + "/name"));
        assertEquals(List.of("0", Integer.toString(web.value()), Integer.toString(other.value())),
                xs.directory("/local/domain"));
        emu.destroyGuest(web);
        assertEquals(Optional.empty(), xs.read("/local/domain/" + web.value() + "/name"));
        assertEquals(List.of("0", Integer.toString(other.value())), xs.directory("/local/domain"));
        assertThrows(XenException.class, () -> emu.domainGetinfo(web), "the domain itself is gone too");
    }

    @Test void aBareDomainCreateHasNoNameAndABareDestroyLeavesTheNode() {
        DomainId bare = emu.domainCreate(DomainConfig.forkChild(1));   // xc_domain_create: no toolstack
        assertEquals(Optional.empty(), xs.read("/local/domain/" + bare.value() + "/name"));
        DomainId named = emu.createGuest(GuestSpec.hvm(1, 16), "left-behind");
        emu.domainDestroy(named);   // xc_domain_destroy alone: xenstore is the toolstack's to clean
        assertEquals(Optional.of("left-behind"), xs.read("/local/domain/" + named.value() + "/name"));
    }

    @Test void xlRefusesASecondDomainWithTheSameName() {
        DomainId first = emu.createGuest(GuestSpec.hvm(1, 16), "twin");
        int before = emu.domainGetinfolist(DomainId.of(0), 100).size();
        XenException e = assertThrows(XenException.class, () -> emu.createGuest(GuestSpec.hvm(1, 16), "twin"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(before, emu.domainGetinfolist(DomainId.of(0), 100).size(), "no domain is left behind");
        emu.destroyGuest(first);
        emu.createGuest(GuestSpec.hvm(1, 16), "twin");   // free again once the first is gone
        assertThrows(IllegalArgumentException.class, () -> emu.createGuest(GuestSpec.hvm(1, 16), "42"),
                "xl would read an all-digit name as a domain id");
    }

    @Test void writeCreatesParentsAndRmTakesTheSubtree() {
        xs.write("/tool/xenffm/a/b", "1");
        xs.write("/tool/xenffm/a-c", "2");   // a sibling sorting right after "a/": must survive rm of "a"
        assertEquals(Optional.of(""), xs.read("/tool/xenffm/a"));
        assertEquals(List.of("a", "a-c"), xs.directory("/tool/xenffm"));
        xs.rm("/tool/xenffm/a");
        assertEquals(Optional.empty(), xs.read("/tool/xenffm/a/b"));
        assertEquals(List.of("a-c"), xs.directory("/tool/xenffm"));
        assertEquals(List.of(), xs.directory("/tool/xenffm/a-c"));
    }

    @Test void xenstoredsErrnos() {
        assertEquals(Optional.empty(), xs.read("/local/domain/9/name"), "ENOENT from xs_read is an empty result");
        XenException dir = assertThrows(XenException.class, () -> xs.directory("/local/domain/9"));
        assertEquals("xs_directory", dir.operation());
        assertEquals(Errno.ENOENT, dir.errno());
        assertTrue(dir.getMessage().contains("/local/domain/9"), dir.getMessage());
        assertEquals(Errno.ENOENT, assertThrows(XenException.class, () -> xs.rm("/nothing")).errno());
        assertEquals(Errno.EINVAL, assertThrows(XenException.class, () -> xs.rm("/")).errno());
        XenException big = assertThrows(XenException.class, () -> xs.write("/big", "x".repeat(4097)));
        assertEquals("xs_write", big.operation());
        assertEquals(Errno.E2BIG, big.errno());
        xs.write("/big", "x".repeat(4096));
        for (String bad : new String[]{"local/domain", "/local//domain", "/local/", "/local/dom ain", "/é"})
            assertThrows(IllegalArgumentException.class, () -> xs.read(bad), bad);
    }

    @Test void handlesShareTheTreeAndAClosedOneRefuses() {
        Xenstore other = emu.xenstoreOpen();
        other.write("/shared", "yes");
        other.close();
        other.close();   // idempotent
        assertEquals(Optional.of("yes"), xs.read("/shared"));
        assertThrows(IllegalStateException.class, () -> other.read("/shared"));
    }
}
