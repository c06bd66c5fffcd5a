// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SuppressVeResult;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.safe.SharingAwareAltp2m;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** {@code altp2m …}: alternate p2m views (xc_altp2m_*). */
@Command(name = "altp2m", sortOptions = false, usageHelpAutoWidth = true,
        header = "Manage altp2m views: alternate guest-physical maps with their own access rights and remaps.",
        description = {"A domain needs an altp2m mode (HVM_PARAM_ALTP2M: external for dom0 tools) and Xen booted",
                "with altp2m=1 on a VT-x/EPT host. View 0 is created by `enable`; `create` returns 1, 2, …",
                "(10 views on Xen 4.17). Beware Xen's view-0 asymmetry: in `access` and `suppress-ve`, view 0",
                "means the HOST p2m; in `change-gfn` it means altp2m view 0."},
        subcommands = {Altp2mCommands.State.class, Altp2mCommands.Enable.class, Altp2mCommands.Disable.class,
                Altp2mCommands.Create.class, Altp2mCommands.Destroy.class, Altp2mCommands.Switch.class,
                Altp2mCommands.Access.class, Altp2mCommands.ChangeGfn.class, Altp2mCommands.Visibility.class,
                Altp2mCommands.SuppressVe.class, Altp2mCommands.VcpuView.class},
        footerHeading = "%nExamples:%n",
        footer = {"  xenffm altp2m enable 1 --mode external", "  xenffm altp2m create 1 --default-access rwx",
                "  xenffm altp2m access set 1 1 rx 0x1000", "  xenffm altp2m switch 1 1"})
final class Altp2mCommands extends GroupCommand {
    /** gfns per _multi call when a range is set in batches: memory stays flat whatever the range. */
    static final int BATCH = 4096;


    /**
     * Real Xen 4.17 panics ("mm locking order violation", mm-locks.h:80) when a view call must unshare a shared host
     * page the view has not copied yet (docs/xen-semantics.md §4.6 hazard). Refuse that unless forced.
     */
    static void refuseIfCrashesXen(Hypervisor hv, DomainId d, ViewId view, Gfn g, String op, boolean force) {
        if (force || g.isInvalid() || !SharingCommands.isShared(hv, d, g)) return;
        try {
            hv.altp2mGetMemAccess(d, view, g); // the view holds its own entry: Xen uses it as is, no unshare
            return;
        } catch (XenException e) {
            if (e.errno() != Errno.ESRCH) throw e;
        }
        throw new RefusedException(op + " on " + d + " " + view + " " + g + " refused: the gfn is shared and the "
                + "view has no entry for it yet, so Xen would unshare it under the altp2m lock and panic (Xen 4.17 "
                + "\"mm locking order violation\", mm-locks.h:80). Let the guest touch the page in that view first, "
                + "unshare it (xenffm unshare), or pass --force.");
    }

    @Command(name = "state", usageHelpAutoWidth = true, header = "Show altp2m mode, state and each vCPU's view.",
            description = {"HVM_PARAM_ALTP2M, xc_altp2m_get_domain_state and xc_altp2m_get_vcpu_p2m_idx per vCPU."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m state 1"})
    static final class State extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;

        @Override int run(Hypervisor hv, Printer out) {
            long mode = hv.hvmParamGet(domain, HvmParam.ALTP2M);
            boolean active = hv.altp2mGetDomainState(domain);
            List<Integer> views = new ArrayList<>();
            if (active) {
                DomainInfo info = hv.domainGetinfo(domain);
                for (int v = 0; v < info.vcpus(); v++) views.add(hv.altp2mGetVcpuP2mIdx(domain, VcpuId.of(v)).value());
            }
            out.result(Json.object().put("domain", domain.value()).put("mode", InfoCommand.modeName(mode))
                            .put("active", active).put("vcpu_views", views),
                    domain + ": altp2m mode " + InfoCommand.modeName(mode) + ", " + (active
                            ? "active; vCPU views " + views : "not active"));
            return ExitCode.OK;
        }
    }

    @Command(name = "enable", usageHelpAutoWidth = true, header = "Turn altp2m on for a domain (view 0 appears).",
            description = {"Sets HVM_PARAM_ALTP2M to --mode if it is still 0 (Xen 4.17 allows that once at run time;",
                    "Xen >= 4.19 only at domain creation: altp2m=\"external\" in the xl config), then",
                    "xc_altp2m_set_domain_state(1). EINVAL: the domain's mode is disabled; EOPNOTSUPP: Xen booted",
                    "without altp2m=1 or no VT-x/EPT."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m enable 1", "  xenffm altp2m enable 1 --mode mixed"})
    static final class Enable extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Option(names = "--mode", paramLabel = "external|mixed|limited", defaultValue = "external",
                description = "mode to set when the domain has none (default ${DEFAULT-VALUE})") String mode;

        @Override int run(Hypervisor hv, Printer out) {
            long want = switch (mode.toLowerCase(java.util.Locale.ROOT)) {
                case "mixed" -> HvmParam.ALTP2M_MIXED;
                case "external" -> HvmParam.ALTP2M_EXTERNAL;
                case "limited" -> HvmParam.ALTP2M_LIMITED;
                default -> throw new IllegalArgumentException("--mode must be external, mixed or limited");
            };
            // 4.17: the param is set once (another mode already set is kept, as before); ≥ 4.19: the creation
            // mode is used, and a guest created without altp2m gets Altp2mModeException saying how to create it.
            long current = hv.hvmParamGet(domain, HvmParam.ALTP2M);
            long now = org.xenffm.safe.Altp2mSetup.enable(hv, domain,
                    current == HvmParam.ALTP2M_DISABLED ? want : current);
            out.result(Json.object().put("domain", domain.value()).put("mode", InfoCommand.modeName(now))
                            .put("active", true),
                    "altp2m active on " + domain + " (mode " + InfoCommand.modeName(now) + "); view 0 in use"
                            + (current != 0 && current != want ? " — the mode was already "
                            + InfoCommand.modeName(current) + (hv.version().altp2mAtCreation()
                            ? " (fixed at creation)" : " and can be set only once") : ""));
            return ExitCode.OK;
        }
    }

    @Command(name = "disable", usageHelpAutoWidth = true, header = "Turn altp2m off: every view is flushed.",
            description = {"xc_altp2m_set_domain_state(0): all vCPUs leave their views and every view, remap and",
                    "view access is dropped (the host p2m is untouched)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m disable 1"})
    static final class Disable extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;

        @Override int run(Hypervisor hv, Printer out) {
            hv.altp2mSetDomainState(domain, false);
            out.result(Json.object().put("domain", domain.value()).put("active", false),
                    "altp2m off on " + domain + "; all views flushed");
            return ExitCode.OK;
        }
    }

    @Command(name = "create", usageHelpAutoWidth = true, header = "Create a view and print its index.",
            description = {"xc_altp2m_create_view: takes the lowest free slot (the first is 1). The view starts empty",
                    "and copies host entries lazily on first access. EINVAL when all slots are used."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m create 1 --default-access rx"})
    static final class Create extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Option(names = "--default-access", paramLabel = "ACCESS", defaultValue = "default",
                description = "the view's default access (default: the host's)") MemAccess access;

        @Override int run(Hypervisor hv, Printer out) {
            SharingAwareAltp2m k = root().keeper();
            ViewId v = k != null ? k.createView(domain, access) : hv.altp2mCreateView(domain, access);
            out.result(Json.object().put("domain", domain.value()).put("view", v.value())
                    .put("default_access", access.label()), "created " + v + " on " + domain);
            return ExitCode.OK;
        }
    }

    @Command(name = "destroy", usageHelpAutoWidth = true, header = "Destroy a view.",
            description = {"xc_altp2m_destroy_view: EBUSY for view 0, an inactive view, or one a vCPU is using",
                    "(switch to view 0 first)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m destroy 1 2"})
    static final class Destroy extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;

        @Override int run(Hypervisor hv, Printer out) {
            SharingAwareAltp2m k = root().keeper();
            if (k != null) k.destroyView(domain, view);
            else hv.altp2mDestroyView(domain, view);
            out.result(Json.object().put("domain", domain.value()).put("view", view.value()).put("destroyed", true),
                    "destroyed " + view + " on " + domain);
            return ExitCode.OK;
        }
    }

    @Command(name = "switch", usageHelpAutoWidth = true, header = "Switch every vCPU of a domain to a view.",
            description = {"xc_altp2m_switch_to_view. EINVAL if the view is not active or is hidden (visibility)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m switch 1 1", "  xenffm altp2m switch 1 0"})
    static final class Switch extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;

        @Override int run(Hypervisor hv, Printer out) {
            SharingAwareAltp2m k = root().keeper();
            if (k != null) k.switchToView(domain, view);
            else hv.altp2mSwitchToView(domain, view);
            out.result(Json.object().put("domain", domain.value()).put("view", view.value()),
                    domain + " now runs in " + view);
            return ExitCode.OK;
        }
    }

    @Command(name = "access", usageHelpAutoWidth = true, header = "Get or set access rights inside a view.",
            description = {"View 0 here is the HOST p2m (Xen's convention for these calls)."},
            subcommands = {AccessGet.class, AccessSet.class})
    static final class Access extends GroupCommand {}

    @Command(name = "get", usageHelpAutoWidth = true, header = "Print the access of gfns in a view.",
            description = {"xc_altp2m_get_mem_access per gfn. ESRCH: the view has no entry for the gfn yet (views",
                    "copy host entries lazily when the guest touches them)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m access get 1 1 0x1000-0x1003"})
    static final class AccessGet extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;
        @Parameters(index = "2", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;

        @Override int run(Hypervisor hv, Printer out) {
            if (range.isInvalidGfn()) { // p2m_get_mem_access on the view's p2m: INVALID_GFN reads ITS default
                MemAccess a = hv.altp2mGetMemAccess(domain, view, Gfn.INVALID);
                out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                        .put("default_access", a.label()), domain + " " + view + " default access (gfn ~0): "
                        + a.label());
                return ExitCode.OK;
            }
            range.within(hv, domain);
            try (Walk w = Walk.start(out, "reading " + domain, range.count())) {
                for (long g = range.first().value(); Long.compareUnsigned(g, range.last().value()) <= 0; g++) {
                    if (!w.next()) break;
                    MemAccess a = hv.altp2mGetMemAccess(domain, view, Gfn.of(g));
                    out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                            .putUnsigned("gfn", g).put("access", a.label()), domain + " " + view + " " + Gfn.of(g)
                            + ": " + a.label());
                    if (g == -1L) break;
                }
                w.reportIfStopped(out, domain);
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "set", usageHelpAutoWidth = true, header = "Set the access of gfns in a view.",
            description = {"xc_altp2m_set_mem_access (one gfn) or _multi (a range). Needs no monitor ring, but",
                    "violations only produce events while one is enabled. gfns the view cannot map (no host RAM)",
                    "are skipped silently by Xen. On a SHARED gfn the view has not copied, Xen 4.17 panics: this",
                    "verb refuses that (exit code 6) unless --force."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm altp2m access set 1 1 rx 0x1000", "  xenffm altp2m access set 1 2 n 0x1000+16"})
    static final class AccessSet extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;
        @Parameters(index = "2", paramLabel = "ACCESS", description = ArgDocs.ACCESS) MemAccess access;
        @Parameters(index = "3", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;
        @Option(names = "--force", description = "skip the shared-page safety check") boolean force;

        @Override int run(Hypervisor hv, Printer out) {
            if (range.isInvalidGfn()) {
                // mem_access.c:p2m_set_mem_access (4.17.5 and 4.20): INVALID_GFN sets p2m->default_access where p2m
                // is the HOST p2m, whichever view was named; the view's own default is not touched
                hv.altp2mSetMemAccess(domain, view, Gfn.INVALID, access);
                out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                                .put("host_default_access", access.label()),
                        "gfn ~0: Xen set the default access of " + domain + "'s HOST p2m to " + access.label()
                                + "; " + view + " and its default are unchanged (p2m_set_mem_access)");
                return ExitCode.OK;
            }
            range.within(hv, domain);
            SharingAwareAltp2m k = view.value() != 0 ? root().keeper() : null;
            long checked = 0;
            try (Walk w = Walk.start(out, "setting " + access.label() + " in " + view, range.count())) {
                for (long g = range.first().value(); Long.compareUnsigned(g, range.last().value()) <= 0; g++) {
                    if (!w.next()) break;
                    if (k != null) k.setViewAccess(domain, view, Gfn.of(g), access); // safe order, kept while we run
                    else if (view.value() != 0) refuseIfCrashesXen(hv, domain, view, Gfn.of(g),
                            "xc_altp2m_set_mem_access", force);
                    checked++;
                    if (g == -1L) break;
                }
                if (w.stopped()) { // without the keeper nothing is set until the calls below: none made
                    long set = k != null ? checked : 0;
                    out.result(w.mark(Json.object().put("domain", domain.value()).put("view", view.value())
                                    .putUnsigned("first_gfn", range.first().value()).put("gfns_set", set)),
                            access.label() + " set on " + set + " gfn(s) of " + range + " in " + view + " of "
                                    + domain + w.stopNote());
                    return ExitCode.OK;
                }
            }
            if (k == null && range.count() == 1) hv.altp2mSetMemAccess(domain, view, range.first(), access);
            else if (k == null) setInBatches(hv);
            out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                            .putUnsigned("first_gfn", range.first().value())
                            .putUnsigned("last_gfn", range.last().value()).put("access", access.label()),
                    "set " + access.label() + " on " + range + " in " + (view.value() == 0 ? "the host p2m"
                            : view.toString()) + " of " + domain);
            return ExitCode.OK;
        }

        /**
         * xc_altp2m_set_mem_access_multi over the range, {@link #BATCH} gfns a call: the memory used does not grow
         * with the range (Xen itself continues a long _multi call every 64 gfns).
         */
        private void setInBatches(Hypervisor hv) {
            List<GfnAccess> batch = new ArrayList<>(BATCH);
            for (long g = range.first().value(); Long.compareUnsigned(g, range.last().value()) <= 0; g++) {
                batch.add(new GfnAccess(Gfn.of(g), access));
                if (batch.size() == BATCH || g == range.last().value()) {
                    hv.altp2mSetMemAccessMulti(domain, view, batch);
                    batch.clear();
                }
                if (g == -1L) break;
            }
        }
    }

    @Command(name = "change-gfn", usageHelpAutoWidth = true,
            header = "Remap a gfn inside a view to another gfn's frame (or remove the remap).",
            description = {"xc_altp2m_change_gfn: in VIEW, OLD_GFN now maps NEW_GFN's frame, type and access; NEW_GFN",
                    "= invalid removes the remap. VIEW 0 is altp2m view 0 here, not the host. ESRCH if either gfn",
                    "has no RAM. Refused (exit code 6) on shared gfns the view has not copied, where Xen 4.17",
                    "panics, unless --force."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm altp2m change-gfn 1 1 0x1000 0x2000", "  xenffm altp2m change-gfn 1 1 0x1000 invalid"})
    static final class ChangeGfn extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;
        @Parameters(index = "2", paramLabel = "OLD_GFN", description = ArgDocs.GFN) Gfn oldGfn;
        @Parameters(index = "3", paramLabel = "NEW_GFN", description = ArgDocs.GFN) Gfn newGfn;
        @Option(names = "--force", description = "skip the shared-page safety check") boolean force;

        @Override int run(Hypervisor hv, Printer out) {
            SharingAwareAltp2m k = root().keeper();
            if (k != null && newGfn.isInvalid()) k.unmap(domain, view, oldGfn);
            else if (k != null) k.remap(domain, view, oldGfn, newGfn);
            else {
                if (!newGfn.isInvalid()) {
                    refuseIfCrashesXen(hv, domain, view, oldGfn, "xc_altp2m_change_gfn", force);
                    refuseIfCrashesXen(hv, domain, view, newGfn, "xc_altp2m_change_gfn", force);
                }
                hv.altp2mChangeGfn(domain, view, oldGfn, newGfn);
            }
            out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                            .putUnsigned("old_gfn", oldGfn.value())
                            .put("new_gfn", newGfn.isInvalid() ? null : newGfn.value()),
                    newGfn.isInvalid() ? "removed the remap of " + oldGfn + " in " + view + " of " + domain
                            : oldGfn + " now maps " + newGfn + "'s frame in " + view + " of " + domain);
            return ExitCode.OK;
        }
    }

    @Command(name = "visibility", usageHelpAutoWidth = true, header = "Hide a view from switching, or show it again.",
            description = {"xc_altp2m_set_visibility (Xen >= 4.14): a hidden view cannot be selected by",
                    "switch_to_view or the guest's VMFUNC, but vm_event responses can still move a vCPU into it",
                    "(stealth views). vCPUs already in the view stay."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m visibility 1 1 off"})
    static final class Visibility extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;
        @Parameters(index = "2", paramLabel = "on|off", description = ArgDocs.TOGGLE) Args.Toggle visible;

        @Override int run(Hypervisor hv, Printer out) {
            SharingAwareAltp2m k = root().keeper();
            if (k != null) k.setVisibility(domain, view, visible.value());
            else hv.altp2mSetVisibility(domain, view, visible.value());
            out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                    .put("visible", visible.value()), view + " of " + domain + " is now "
                    + (visible.value() ? "visible" : "hidden"));
            return ExitCode.OK;
        }
    }

    @Command(name = "suppress-ve", usageHelpAutoWidth = true, header = "Get or set the #VE suppress bit of gfns.",
            description = {"View 0 is the host p2m. With a range, set uses xc_altp2m_set_supress_ve_multi, which",
                    "continues past failing gfns and reports the first one (printed, exit code 1)."},
            subcommands = {SuppressVeGet.class, SuppressVeSet.class})
    static final class SuppressVe extends GroupCommand {}

    @Command(name = "get", usageHelpAutoWidth = true, header = "Print the suppress_ve bit of gfns in a view.",
            description = {"xc_altp2m_get_suppress_ve per gfn (ESRCH: no entry in the view)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m suppress-ve get 1 1 0x1000"})
    static final class SuppressVeGet extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;
        @Parameters(index = "2", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;

        @Override int run(Hypervisor hv, Printer out) {
            range.within(hv, domain);
            try (Walk w = Walk.start(out, "reading " + domain, range.count())) {
                for (long g = range.first().value(); Long.compareUnsigned(g, range.last().value()) <= 0; g++) {
                    if (!w.next()) break;
                    boolean s = hv.altp2mGetSuppressVe(domain, view, Gfn.of(g));
                    out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                            .putUnsigned("gfn", g).put("suppress_ve", s), domain + " " + view + " " + Gfn.of(g)
                            + ": suppress_ve " + (s ? "on" : "off"));
                    if (g == -1L) break;
                }
                w.reportIfStopped(out, domain);
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "set", usageHelpAutoWidth = true, header = "Set the suppress_ve bit of gfns in a view.",
            description = {"xc_altp2m_set_suppress_ve, or _multi for a range (first per-gfn failure reported)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m suppress-ve set 1 1 0x1000+8 off"})
    static final class SuppressVeSet extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VIEW", description = ArgDocs.VIEW) ViewId view;
        @Parameters(index = "2", paramLabel = "GFNS", description = ArgDocs.GFNS) Args.GfnRange range;
        @Parameters(index = "3", paramLabel = "on|off", description = ArgDocs.TOGGLE) Args.Toggle value;
        @Option(names = "--force", description = "skip the shared-page safety check") boolean force;

        @Override int run(Hypervisor hv, Printer out) {
            range.within(hv, domain);
            if (view.value() != 0) try (Walk w = Walk.start(out, "checking " + range, range.count())) {
                for (long g = range.first().value(); Long.compareUnsigned(g, range.last().value()) <= 0; g++) {
                    if (!w.next()) break;
                    refuseIfCrashesXen(hv, domain, view, Gfn.of(g), "xc_altp2m_set_suppress_ve", force);
                    if (g == -1L) break;
                }
                if (w.stopped()) { // stopped while checking: the one call that sets the range was not made
                    out.result(w.mark(Json.object().put("domain", domain.value()).put("view", view.value())
                                    .putUnsigned("first_gfn", range.first().value()).put("gfns_set", 0)),
                            "suppress_ve not changed on " + range + " in " + view + " of " + domain + w.stopNote());
                    return ExitCode.OK;
                }
            }
            SuppressVeResult r = range.count() == 1 ? null
                    : hv.altp2mSetSuppressVeMulti(domain, view, range.first(), range.last(), value.value());
            if (r == null) hv.altp2mSetSuppressVe(domain, view, range.first(), value.value());
            boolean ok = r == null || r.allApplied();
            out.result(Json.object().put("domain", domain.value()).put("view", view.value())
                            .putUnsigned("first_gfn", range.first().value())
                            .putUnsigned("last_gfn", range.last().value()).put("suppress_ve", value.value())
                            .put("first_error_gfn", r == null ? null : r.firstErrorGfn().map(Gfn::value))
                            .put("first_error", r == null ? null : r.firstError().map(Errno::name)),
                    "suppress_ve " + value + " on " + range + " in " + view + " of " + domain + (ok ? ""
                            : "; first failure: " + r.firstErrorGfn().get() + " " + r.firstError().get()));
            return ok ? ExitCode.OK : ExitCode.XEN_ERROR;
        }
    }

    @Command(name = "vcpu-view", usageHelpAutoWidth = true, header = "Print the view a vCPU is running in.",
            description = {"xc_altp2m_get_vcpu_p2m_idx (Xen >= 4.13)."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm altp2m vcpu-view 1 0"})
    static final class VcpuView extends XenCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = ArgDocs.DOMAIN) DomainId domain;
        @Parameters(index = "1", paramLabel = "VCPU", description = ArgDocs.VCPU) VcpuId vcpu;

        @Override int run(Hypervisor hv, Printer out) {
            ViewId v = hv.altp2mGetVcpuP2mIdx(domain, vcpu);
            out.result(Json.object().put("domain", domain.value()).put("vcpu", vcpu.value()).put("view", v.value()),
                    domain + " " + vcpu + ": " + v);
            return ExitCode.OK;
        }
    }
}
