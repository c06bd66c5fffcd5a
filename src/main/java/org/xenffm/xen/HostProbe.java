// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.xenffm.api.PhysInfo;
import org.xenffm.api.UnsupportedXenVersionException;
import org.xenffm.api.XenException;
import org.xenffm.api.XenVersion;

/**
 * What this host offers the real-Xen backend: is libxenctrl there (which file), can the hypervisor be reached
 * (and if not, why), and which Xen and vm_event interface it runs. Never throws for a missing Xen; that is an
 * answer. Backs {@code xenffm info}.
 */
public final class HostProbe {
    private HostProbe() {}

    /**
     * What the probe found, for {@code xenffm info}.
     *
     * @param xenctrlSoname   the soname tried, e.g. libxenctrl.so.4.17
     * @param libxenctrl      the file it resolved to, when found
     * @param libraryProblem  why the libraries could not be loaded, when they could not
     * @param xenPresent      whether xc_interface_open succeeded (dom0 of a Xen host, with privileges)
     * @param xenProblem      why the hypervisor could not be reached (e.g. ENOENT on /dev/xen/privcmd)
     * @param xenVersion      xc_version(XENVER_version), when present
     * @param vmEventVersion  xc_vm_event_get_version, when present
     * @param physInfo        xc_physinfo (HVM/HAP, VT-x or SVM), when present
     */
    public record Report(String xenctrlSoname, Optional<Path> libxenctrl, Optional<String> libraryProblem,
                         boolean xenPresent, Optional<String> xenProblem, Optional<XenVersion> xenVersion,
                         OptionalInt vmEventVersion, Optional<PhysInfo> physInfo) {
        /** {@return whether the libxenctrl was found and loaded} */
        public boolean libraryFound() { return libxenctrl.isPresent(); }
    }

    /**
     * Probes with the configured soname ({@link XenLibrary#SONAME_PROPERTY}), else with the first carried
     * libxenctrl this host has (as {@link XenLibrary#load()} chooses). Never throws: every problem ends up in
     * the report.
     *
     * @return what was found
     */
    public static Report probe() {
        String soname = System.getProperty(XenLibrary.SONAME_PROPERTY);
        if (soname == null) {
            soname = XenLibrary.DEFAULT_XENCTRL_SONAME;
            try {
                soname = XenLibrary.load().xenctrlSoname();
            } catch (XenException e) {
                // none found: report the default's problem
            }
        }
        return probe(soname);
    }

    /**
     * Loads the given libxenctrl, opens it (xc_interface_open) and asks the hypervisor for xc_version,
     * xc_vm_event_get_version and xc_physinfo. Changes nothing on the host; never throws.
     *
     * @param xenctrlSoname the soname to load, e.g. libxenctrl.so.4.17
     * @return what was found
     */
    public static Report probe(String xenctrlSoname) {
        XenLibrary lib;
        try {
            lib = XenLibrary.load(xenctrlSoname);
        } catch (XenException e) {
            return new Report(xenctrlSoname, Optional.empty(), Optional.of(e.getMessage()), false,
                    Optional.of("libxenctrl not loaded"), Optional.empty(), OptionalInt.empty(), Optional.empty());
        }
        Optional<Path> file = lib.file(XenLibrary.Lib.XENCTRL);
        try (XenHypervisor xen = new XenHypervisor(lib)) {
            XenVersion v = xen.version();
            OptionalInt vmEvent = OptionalInt.empty();
            Optional<String> problem = Optional.empty();
            try {
                vmEvent = OptionalInt.of(xen.vmEventGetVersion());
            } catch (XenException e) {
                problem = Optional.of(e.getMessage());
            }
            Optional<PhysInfo> phys = Optional.empty();
            try {
                phys = Optional.of(xen.physinfo());
            } catch (XenException e) {
                problem = Optional.of(problem.map(p -> p + "; ").orElse("") + e.getMessage());
            }
            return new Report(xenctrlSoname, file, Optional.empty(), true, problem, Optional.of(v), vmEvent, phys);
        } catch (XenException e) {
            // a hypervisor of another (or an unsupported) release is there: say which
            Optional<XenVersion> running = e instanceof UnsupportedXenVersionException u ? u.hypervisor()
                    : Optional.empty();
            return new Report(xenctrlSoname, file, Optional.empty(), false, Optional.of(e.getMessage()),
                    running, OptionalInt.empty(), Optional.empty());
        }
    }
}
