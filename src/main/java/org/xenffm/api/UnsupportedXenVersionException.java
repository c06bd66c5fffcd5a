// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The running hypervisor, or the libxenctrl found, is a Xen release xenffm does not carry, or the two are different
 * releases (libxenctrl's domctl/sysctl interface versions change with every minor, so a 4.17 library cannot drive a
 * 4.20 hypervisor). The message names the supported releases ({@link XenVersion#SUPPORTED}) and what to install or
 * set. A {@link XenNotAvailableException}: as far as xenffm is concerned, no usable Xen is reachable. Its errno is
 * EOPNOTSUPP.
 *
 * @serial exclude
 */
public class UnsupportedXenVersionException extends XenNotAvailableException {
    private final XenVersion hypervisor;
    private final XenVersion library;

    /**
     * A release mismatch or an unsupported release.
     *
     * @param operation  the call that found out ({@code xc_version} for the hypervisor, {@code dlopen} for a library)
     * @param hypervisor the hypervisor's release, when known
     * @param library    the libxenctrl release (from its soname), when known
     * @param detail     what is wrong and what to do
     */
    public UnsupportedXenVersionException(String operation, XenVersion hypervisor, XenVersion library, String detail) {
        super(operation, Errno.EOPNOTSUPP.value(), detail + " (xenffm supports Xen " + supportedList() + ")");
        this.hypervisor = hypervisor;
        this.library = library;
    }

    /** {@return the supported releases as text, "4.17, 4.20"} */
    public static String supportedList() {
        return XenVersion.SUPPORTED.stream().map(XenVersion::toString).collect(Collectors.joining(", "));
    }

    /** {@return the running hypervisor's release, when known} */
    public Optional<XenVersion> hypervisor() { return Optional.ofNullable(hypervisor); }
    /** {@return the libxenctrl release found, when known} */
    public Optional<XenVersion> library() { return Optional.ofNullable(library); }
    /** {@return the releases xenffm carries, {@link XenVersion#SUPPORTED}} */
    public java.util.List<XenVersion> supported() { return XenVersion.SUPPORTED; }
}
