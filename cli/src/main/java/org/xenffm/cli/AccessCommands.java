// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code access …}: host p2m mem_access (xc_set_mem_access, xc_get_mem_access). */
@Command(name = "access", sortOptions = false, usageHelpAutoWidth = true,
        header = "Get or set the host p2m's access rights (mem_access).",
        description = {"Access values: n r w rw x rx wx rwx rx2rw n2rwx, r_pw (Xen >= 4.20), default. The host calls",
                "need the domain's monitor ring to be enabled (ENODEV otherwise): run them while a monitor",
                "(xenffm monitor, xen-access, LibVMI, DRAKVUF) owns the ring, since violations pause the vCPU",
                "until the monitor answers. Changes propagate to altp2m views that hold the gfn."},
        subcommands = {AccessCommands.Get.class, AccessCommands.Set.class, AccessCommands.Default.class},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm access get 1 0x1000", "  xenffm access set 1 rx 0x1000+16", "  xenffm access default 1 rwx"})
final class AccessCommands extends GroupCommand {

    @Command(name = "get", usageHelpAutoWidth = true, header = "Print the host access of gfns.",
            description = {"xc_get_mem_access per gfn; ESRCH for gfns without RAM, EINVAL beyond max_gpfn."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm access get 1 0x1000-0x1003"})
    static final class Get extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;

        @Override int run(Hypervisor hv, Printer out) {
            if (range.isInvalidGfn()) { // mem_access.c:_p2m_get_mem_access: INVALID_GFN reads the default access
                MemAccess a = hv.getMemAccess(domain, Gfn.INVALID);
                out.result(Json.object().put("domain", domain.value()).put("default_access", a.label()),
                        domain + " default access (gfn ~0): " + a.label());
                return ExitCode.OK;
            }
            range.within(hv, domain);
            try (Walk w = Walk.start(out, "reading " + domain, range.count())) {
                for (long g = range.first().value(); Long.compareUnsigned(g, range.last().value()) <= 0; g++) {
                    if (!w.next()) break;
                    MemAccess a = hv.getMemAccess(domain, Gfn.of(g));
                    out.result(Json.object().put("domain", domain.value()).putUnsigned("gfn", g).put("access", a.label()),
                            domain + " " + Gfn.of(g) + ": " + a.label());
                    if (g == -1L) break;
                }
                w.reportIfStopped(out, domain);
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "set", usageHelpAutoWidth = true, header = "Set the host access of a gfn range.",
            description = {"xc_set_mem_access over the range in one call (Xen continues it every 64 gfns). A shared",
                    "gfn keeps its sharing; the first write to it unshares and resets the access to the default."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm access set 1 r 0x1000-0x10ff"})
    static final class Set extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "ACCESS", description = ArgDocs.ACCESS) MemAccess access;
        @Parameters(index = "2", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;

        @Override int run(Hypervisor hv, Printer out) {
            if (range.isInvalidGfn()) { // mem_access.c:p2m_set_mem_access: INVALID_GFN sets the default access
                hv.setMemAccess(domain, access, Gfn.INVALID, 0);
                out.result(Json.object().put("domain", domain.value()).put("default_access", access.label()),
                        "gfn ~0: set the default access of " + domain + "'s host p2m to " + access.label()
                                + " (new and unset entries; no gfn changed)");
                return ExitCode.OK;
            }
            range.within(hv, domain);
            if (range.count() > Integer.MAX_VALUE || range.count() <= 0)
                throw new IllegalArgumentException("range too large for one xc_set_mem_access call: " + range);
            hv.setMemAccess(domain, access, range.first(), (int) range.count());
            out.result(Json.object().put("domain", domain.value()).putUnsigned("first_gfn", range.first().value())
                            .putUnsigned("last_gfn", range.last().value()).put("access", access.label()),
                    "set " + access.label() + " on " + range + " of " + domain);
            return ExitCode.OK;
        }
    }

    @Command(name = "default", usageHelpAutoWidth = true, header = "Get or set the host p2m's default access.",
            description = {"xc_get_mem_access / xc_set_mem_access with gfn ~0. The default applies to entries Xen",
                    "(re)writes later: unshare, fork population, type changes."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm access default 1", "  xenffm access default 1 rx"})
    static final class Default extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "ACCESS", arity = "0..1", description = ArgDocs.ACCESS) MemAccess access;

        @Override int run(Hypervisor hv, Printer out) {
            if (access != null) hv.setMemAccess(domain, access, Gfn.INVALID, 0);
            MemAccess now = hv.getMemAccess(domain, Gfn.INVALID);
            out.result(Json.object().put("domain", domain.value()).put("default_access", now.label()),
                    domain + " default access: " + now.label());
            return ExitCode.OK;
        }
    }
}
