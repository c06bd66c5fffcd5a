// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmi;

import java.util.Objects;
import java.util.Optional;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenException;
import org.xenffm.api.Xenstore;

/**
 * Domain names as {@code xl} resolves them: the toolstack keeps a domain's name in xenstore at
 * {@code /local/domain/<id>/name} (libxl writes it at creation, {@code xl destroy} removes the directory), and
 * libxl_utils.c:libxl_name_to_domid walks the hypervisor's domain list in id order, reading each name, and takes the
 * <em>first</em> match. Two domains with one name cannot come from xl (libxl_domain.c:libxl__domain_rename refuses a
 * taken name), but xenstore can be written directly: then, as xl, the lowest id wins. A node left behind by a domain
 * that no longer exists is ignored, because only listed domains are read. This is LibVMI's
 * {@code vmi_get_domainid_from_name} / {@code vmi_get_name_from_domainid}.
 *
 * <p>A command-line argument is resolved as libxl_utils.c:libxl_domain_qualifier_to_domid does ({@link #resolve}): all
 * digits is a domain id, anything else a name.
 */
public final class DomainNames {
    private final Hypervisor hv;
    private final Xenstore xs;

    /**
     * Names over one hypervisor and its host's xenstore (neither is closed by this object).
     *
     * @param hv the hypervisor: its domain list (xc_domain_getinfolist) is what is searched
     * @param xs xenstore of the same host ({@code XenXenstore.open()} or {@code EmulatedHypervisor.xenstoreOpen()})
     */
    public DomainNames(Hypervisor hv, Xenstore xs) {
        this.hv = Objects.requireNonNull(hv);
        this.xs = Objects.requireNonNull(xs);
    }

    /**
     * libxl_domid_to_name: xs_read of {@code /local/domain/<id>/name}. Changes nothing.
     *
     * @param domain the domain
     * @return its name, empty when it has none (created without a toolstack, e.g. by xc_domain_create)
     * @throws XenException from xs_read: EACCES (not dom0)
     */
    public Optional<String> name(DomainId domain) { return xs.read(path(domain)); }

    /**
     * libxl_name_to_domid: the first domain, in id order, whose name is {@code name}. Changes nothing.
     *
     * @param name the name (as {@code xl list} shows it)
     * @return the domain's id
     * @throws XenException ENOENT (operation {@code xs_read}) when no existing domain has that name; EACCES from
     *                      xs_read (not dom0)
     */
    public DomainId find(String name) {
        Objects.requireNonNull(name);
        int seen = 0;
        for (DomainInfo d : hv.domainGetinfolist(DomainId.of(0), Integer.MAX_VALUE)) {
            seen++;
            if (xs.read(path(d.domain())).filter(name::equals).isPresent()) return d.domain();
        }
        throw new XenException("xs_read", null, null, null, Errno.ENOENT.value(), "no domain is named '" + name
                + "': none of the " + seen + " domains has it at /local/domain/<id>/name (xl list shows the names)");
    }

    /**
     * libxl_utils.c:libxl_domain_qualifier_to_domid: a string of digits only is a domain id (not checked to exist, as a
     * later call says ESRCH), anything else a name looked up with {@link #find}.
     *
     * @param qualifier a domain id or name
     * @return the domain's id
     * @throws XenException ENOENT when it is a name no domain has
     * @throws IllegalArgumentException an empty qualifier, or an id beyond the last domain id (0x7fef)
     */
    public DomainId resolve(String qualifier) {
        if (qualifier.isEmpty()) throw new IllegalArgumentException("empty domain qualifier");
        if (isId(qualifier)) {
            long v = Long.parseLong(qualifier.length() > 6 ? "99999999" : qualifier);
            if (v > 0x7fef) throw new IllegalArgumentException("domain id " + qualifier + " is out of range 0..32751");
            return DomainId.of((int) v);
        }
        return find(qualifier);
    }

    /**
     * libxl_utils.c:libxl_domain_qualifier_to_domid: a domain id is written with digits only.
     *
     * @param qualifier a domain id or name
     * @return whether xl would take it for an id
     */
    public static boolean isId(String qualifier) {
        return !qualifier.isEmpty() && qualifier.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static String path(DomainId d) { return "/local/domain/" + d.value() + "/name"; }
}
