// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A libxenctrl call (or its emulation) failed. Carries the operation (the C function name), the domain, the gfn and
 * view when the call had them, and the errno — never a bare -1. The message adds what the errno means for that
 * family of calls, e.g. ENOSYS from memshr means the hypervisor was built without mem_sharing. Which errnos each call
 * raises, and why, is documented on {@link Hypervisor}'s methods.
 *
 * @serial exclude
 */
public class XenException extends RuntimeException {
    private final String operation;
    private final DomainId domain;
    private final Gfn gfn;
    private final ViewId view;
    private final Errno errno;
    private final int errnoValue;

    /**
     * A failed call.
     *
     * @param operation  the libxenctrl function (or the hypercall the emulator modelled)
     * @param domain     the domain, or null
     * @param gfn        the gfn, or null
     * @param view       the view, or null
     * @param errnoValue the errno, either sign
     * @param detail     what it means, or null for the standard explanation of that errno for that call
     */
    public XenException(String operation, DomainId domain, Gfn gfn, ViewId view, int errnoValue, String detail) {
        super(format(operation, domain, gfn, view, errnoValue, detail));
        this.operation = Objects.requireNonNull(operation);
        this.domain = domain;
        this.gfn = gfn;
        this.view = view;
        this.errnoValue = Math.abs(errnoValue);
        this.errno = Errno.of(errnoValue);
    }

    /**
     * A failed call with the standard explanation.
     *
     * @param operation the libxenctrl function
     * @param domain    the domain, or null
     * @param gfn       the gfn, or null
     * @param view      the view, or null
     * @param errno     the errno
     */
    public XenException(String operation, DomainId domain, Gfn gfn, ViewId view, Errno errno) {
        this(operation, domain, gfn, view, errno.value(), null);
    }

    /**
     * Builds the right subclass for a failed call: {@link XenNotAvailableException} for a failed open of a Xen
     * device that means "no usable Xen here" (ENOENT, ENXIO, ENODEV, EACCES, EPERM), else a plain XenException.
     *
     * @param operation  the libxenctrl function
     * @param domain     the domain, or null
     * @param gfn        the gfn, or null
     * @param view       the view, or null
     * @param errnoValue the errno, either sign
     * @return the exception to throw
     */
    public static XenException of(String operation, DomainId domain, Gfn gfn, ViewId view, int errnoValue) {
        if (isOpen(operation) && unreachable(Errno.of(errnoValue)))
            return new XenNotAvailableException(operation, errnoValue, null);
        return new XenException(operation, domain, gfn, view, errnoValue, null);
    }

    /** The calls that open a Xen device (privcmd, evtchn): their failure means "no usable Xen here". */
    static boolean isOpen(String op) {
        return op.equals("xc_interface_open") || op.equals("xenevtchn_open") || op.equals("xenforeignmemory_open");
    }

    private static boolean unreachable(Errno e) {
        return e == Errno.ENOENT || e == Errno.ENXIO || e == Errno.ENODEV || e == Errno.EACCES || e == Errno.EPERM;
    }

    /**
     * A failed call on a domain, with the standard explanation.
     *
     * @param operation the libxenctrl function
     * @param domain    the domain, or null
     * @param errno     the errno
     * @return the exception to throw
     */
    public static XenException of(String operation, DomainId domain, Errno errno) {
        return new XenException(operation, domain, null, null, errno);
    }

    /** {@return the libxenctrl function that failed, e.g. {@code xc_memshr_nominate_gfn}} */
    public String operation() { return operation; }
    /** {@return the domain the call was about, if it had one} */
    public Optional<DomainId> domain() { return Optional.ofNullable(domain); }
    /** {@return the gfn the call was about, if it had one} */
    public Optional<Gfn> gfn() { return Optional.ofNullable(gfn); }
    /** {@return the altp2m view the call was about, if it had one} */
    public Optional<ViewId> view() { return Optional.ofNullable(view); }
    /** {@return the errno, {@link Errno#UNKNOWN} for a number the enum does not name} */
    public Errno errno() { return errno; }
    /** {@return the errno number, positive} */
    public int errnoValue() { return errnoValue; }

    private static String format(String op, DomainId d, Gfn g, ViewId v, int errnoValue, String detail) {
        Errno e = Errno.of(errnoValue);
        StringBuilder sb = new StringBuilder(op).append(" failed");
        if (d != null) sb.append(" for ").append(d);
        if (g != null) sb.append(", ").append(g);
        if (v != null) sb.append(", ").append(v);
        sb.append(": ").append(e == Errno.UNKNOWN ? "errno " + Math.abs(errnoValue) : e.name());
        String hint = detail != null ? detail : ErrnoHints.hint(op, e, g != null && !g.isInvalid());
        if (hint != null) sb.append(" (").append(hint).append(')');
        return sb.toString();
    }
}
