package org.xenffm.cli;

import org.xenffm.api.Errno;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.XenException;
import org.xenffm.api.XenNotAvailableException;

import java.lang.reflect.InvocationTargetException;

/** Opens the hypervisor a command line asked for. */
final class Backends {
    private Backends() {}

    enum Kind { xen, emulated }

    /** How the root command gets its Hypervisor; tests pass one that hands out a prepared emulator. */
    @FunctionalInterface
    interface Opener {
        Hypervisor open(Kind kind, EmulatedHostSpec spec);
    }

    static Hypervisor open(Kind kind, EmulatedHostSpec spec) {
        return switch (kind) {
            case xen -> openXen();
            case emulated -> EmulatedHost.start(spec);
        };
    }

    /** The FFM backend; any failure to load or open libxenctrl becomes XenNotAvailableException. */
    static Hypervisor openXen() {
        try {
            Class<?> c = Class.forName("org.xenffm.xen.XenHypervisor");
            return (Hypervisor) c.getMethod("open").invoke(null);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new XenNotAvailableException("xc_interface_open", Errno.ENOSYS.value(),
                    "this build of xenffm has no Xen backend (org.xenffm.xen.XenHypervisor.open missing)");
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof XenException x) throw x;
            if (t instanceof RuntimeException r && isLinkFailure(r))
                throw new XenNotAvailableException("xc_interface_open", Errno.ENOENT.value(),
                        "libxenctrl could not be loaded: " + r.getMessage());
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error err) throw err;
            throw new IllegalStateException(t);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isLinkFailure(RuntimeException r) {
        return r instanceof IllegalArgumentException && r.getMessage() != null
                && r.getMessage().contains("libxenctrl");
    }
}
