// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.XenNotAvailableException;
import org.xenffm.api.XenVersion;
import org.xenffm.xen.XenLibrary;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What dom0-side facts can be read without Xen: is libxenctrl installed (which sonames, does the chosen one load and
 * export the calls xenffm needs), is there a privcmd device, does the kernel run on Xen and as which domain. Used
 * by {@code info} to explain why Xen is absent.
 */
record HostFacts(List<String> libxenctrlFiles, Optional<String> loadedSoname, Optional<String> loadError,
                 boolean privcmd, Optional<String> hypervisorType, Optional<String> xenCapabilities) {

    /**
     * The libxenctrl the FFM backend uses: {@link XenLibrary#load()}'s choice (-Dxenffm.libxenctrl=…, else the first
     * carried release this host has: libxenctrl.so.4.17 on Debian 12, .so.4.20 on Debian 13). When none loads, the
     * pinned soname, or the carried ones.
     */
    static String soname() {
        return chosen().map(XenLibrary::xenctrlSoname).orElseGet(() -> System.getProperty(XenLibrary.SONAME_PROPERTY,
                String.join(" or ", XenVersion.SUPPORTED.stream().map(XenVersion::xenctrlSoname).toList())));
    }

    /** XenLibrary.load() (opens the libraries, makes no hypercall), or why it failed. */
    private static Optional<XenLibrary> chosen() {
        try {
            return Optional.of(XenLibrary.load());
        } catch (XenNotAvailableException e) {
            return Optional.empty();
        }
    }
    private static final List<Path> LIB_DIRS = List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
            Path.of("/usr/lib"), Path.of("/usr/local/lib"));

    static HostFacts probe() {
        List<String> files = new ArrayList<>();
        for (Path dir : LIB_DIRS) {
            if (!Files.isDirectory(dir)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "libxenctrl.so*")) {
                for (Path p : ds) files.add(p.toString());
            } catch (IOException ignored) {
                // an unreadable directory just contributes nothing
            }
        }
        files.sort(null);
        Optional<String> loaded = Optional.empty();
        Optional<String> error = Optional.empty();
        String soname = soname();
        try {
            XenLibrary.load();
        } catch (XenNotAvailableException e) {
            error = Optional.of(e.getMessage());
        }
        if (error.isEmpty()) try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lib = SymbolLookup.libraryLookup(soname, arena);
            // xc_memshr_fork_reset with 4 arguments and xc_altp2m_set_visibility are the 4.14+/4.17 calls we need
            for (String sym : List.of("xc_interface_open", "xc_memshr_fork_reset", "xc_altp2m_set_visibility")) {
                if (lib.find(sym).isEmpty()) throw new IllegalStateException(soname + " lacks " + sym);
            }
            loaded = Optional.of(soname);
        } catch (IllegalArgumentException | IllegalStateException | IllegalCallerException e) {
            error = Optional.of(e.getMessage());
        }
        return new HostFacts(files, loaded, error, Files.exists(Path.of("/dev/xen/privcmd")),
                read(Path.of("/sys/hypervisor/type")), read(Path.of("/proc/xen/capabilities")));
    }

    private static Optional<String> read(Path p) {
        try {
            return Optional.of(Files.readString(p).trim());
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    boolean isDom0() { return xenCapabilities.map(c -> c.contains("control_d")).orElse(false); }

    /** The most likely reason xenffm cannot talk to Xen here, in one sentence. */
    String whyNoXen() {
        if (loadedSoname.isEmpty()) {
            String other = libxenctrlFiles.stream().filter(f -> f.matches(".*libxenctrl\\.so\\.4\\.\\d+$"))
                    .map(f -> f.substring(f.lastIndexOf('/') + 1)).findFirst().orElse(null);
            return soname() + " cannot be loaded (" + loadError.orElse("not found") + "): "
                    + (other != null ? "this host has " + other + "; select it with -D" + XenLibrary.SONAME_PROPERTY
                    + "=" + other + " (bin/xenffm: XENFFM_JAVA_OPTS)" : "install libxenmisc4.17 (Debian 12) or libxenmisc4.20 (Debian 13)");
        }
        if (hypervisorType.isEmpty() || !hypervisorType.get().equals("xen"))
            return "this kernel is not running on Xen (/sys/hypervisor/type: "
                    + hypervisorType.orElse("absent") + ")";
        if (!privcmd) return "/dev/xen/privcmd is missing: load xen-privcmd (modprobe xen-privcmd) or mount xenfs";
        if (!isDom0()) return "this is a Xen guest (domU), not dom0: only dom0 may make these hypercalls";
        return "libxenctrl is present and this is dom0; see the error above";
    }

    Json toJson() {
        return Json.object().put("libxenctrl_files", libxenctrlFiles).put("libxenctrl_loaded", loadedSoname)
                .put("libxenctrl_error", loadError).put("privcmd", privcmd).put("hypervisor_type", hypervisorType)
                .put("xen_capabilities", xenCapabilities).put("dom0", isDom0());
    }

    String human() {
        return "  libxenctrl:      " + (loadedSoname.isPresent() ? loadedSoname.get() + " loads ("
                        + String.join(", ", libxenctrlFiles) + ")"
                        : "not loadable" + loadError.map(e -> ": " + e).orElse("")) + "\n"
                + "  /dev/xen/privcmd: " + (privcmd ? "present" : "missing") + "\n"
                + "  hypervisor:      " + hypervisorType.orElse("none (/sys/hypervisor/type absent)") + "\n"
                + "  xen role:        " + xenCapabilities.map(c -> isDom0() ? "dom0 (control_d)" : "domU")
                        .orElse("none (/proc/xen/capabilities absent)");
    }
}
