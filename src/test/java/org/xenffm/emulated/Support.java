// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.junit.jupiter.api.function.Executable;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.XenException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

final class Support {
    private Support() {}

    static XenException fails(Errno expected, String op, Executable call) {
        XenException x = assertThrows(XenException.class, call);
        assertEquals(expected, x.errno(), x.getMessage());
        assertEquals(op, x.operation(), x.getMessage());
        return x;
    }

    static Gfn g(long v) { return Gfn.of(v); }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }
}
