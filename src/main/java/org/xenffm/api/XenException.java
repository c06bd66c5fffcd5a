// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A libxenctrl call (or its emulation) failed. Carries the operation (the C function name), the domain, the gfn and
 * view when the call had them, and the errno — never a bare -1. The message adds what the errno means for that
 * family of calls, e.g. ENOSYS from memshr means the hypervisor was built without mem_sharing.
 */
public class XenException extends RuntimeException {
    private final String operation;
    private final DomainId domain;
    private final Gfn gfn;
    private final ViewId view;
    private final Errno errno;
    private final int errnoValue;

    public XenException(String operation, DomainId domain, Gfn gfn, ViewId view, int errnoValue, String detail) {
        super(format(operation, domain, gfn, view, errnoValue, detail));
        this.operation = Objects.requireNonNull(operation);
        this.domain = domain;
        this.gfn = gfn;
        this.view = view;
        this.errnoValue = Math.abs(errnoValue);
        this.errno = Errno.of(errnoValue);
    }

    public XenException(String operation, DomainId domain, Gfn gfn, ViewId view, Errno errno) {
        this(operation, domain, gfn, view, errno.value(), null);
    }

    /** Builds the right subclass for a failed call: {@link XenNotAvailableException} for a failed open, etc. */
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

    public static XenException of(String operation, DomainId domain, Errno errno) {
        return new XenException(operation, domain, null, null, errno);
    }

    public String operation() { return operation; }
    public Optional<DomainId> domain() { return Optional.ofNullable(domain); }
    public Optional<Gfn> gfn() { return Optional.ofNullable(gfn); }
    public Optional<ViewId> view() { return Optional.ofNullable(view); }
    public Errno errno() { return errno; }
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
