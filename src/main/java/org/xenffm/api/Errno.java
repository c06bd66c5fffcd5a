// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.HashMap;
import java.util.Map;

/**
 * The errno values Xen and libxenctrl report (Xen's public/errno.h equals Linux's for all of these).
 * {@link #ECHILD} and {@link #EBADF} double as XENMEM_SHARING_OP_S_HANDLE_INVALID (-10) and _C_HANDLE_INVALID (-9).
 */
public enum Errno {
    EPERM(1), ENOENT(2), ESRCH(3), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), EBADF(9), ECHILD(10), EAGAIN(11),
    ENOMEM(12), EACCES(13), EFAULT(14), EBUSY(16), EEXIST(17), EXDEV(18), ENODEV(19), EINVAL(22), ENOSPC(28),
    EMLINK(31), ERANGE(34), ENOSYS(38), ENODATA(61), EILSEQ(84), ERESTART(85), EOPNOTSUPP(95), ETIMEDOUT(110),
    /** A value this enum does not name; {@link XenException#errnoValue()} keeps the number. */
    UNKNOWN(-1);

    private static final Map<Integer, Errno> BY_VALUE = new HashMap<>();
    static {
        for (Errno e : values()) if (e.value > 0) BY_VALUE.put(e.value, e);
    }

    private final int value;

    Errno(int value) { this.value = value; }

    public int value() { return value; }

    public static Errno of(int value) { return BY_VALUE.getOrDefault(Math.abs(value), UNKNOWN); }
}
