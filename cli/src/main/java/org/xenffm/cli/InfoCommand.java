// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainInfo;
import org.xenffm.api.Errno;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MonitorEvent;
import org.xenffm.api.PhysInfo;
import org.xenffm.api.XenException;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.api.XenVersion;
import picocli.CommandLine.Model.CommandSpec;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code info}: what this Xen can do for xenffm, found by harmless probes (no state changes). Without Xen it reports
 * the host facts and why Xen is absent.
 */
final class InfoCommand extends XenCommand {

    /** Its picocli model, written as code: `info` is the first thing a dom0 user runs, and scripts run it often. */
    static CommandSpec model() {
        CommandSpec spec = new InfoCommand().model("info");
        spec.usageMessage()
                .header("Show the Xen version, host capabilities and which features are built in.")
                .description("Probes with calls that change nothing: xc_version, xc_physinfo, xc_vm_event_get_version,",
                        "xc_memshr_audit (ENOSYS: Xen built without CONFIG_MEM_SHARING; EOPNOTSUPP: release build),",
                        "xc_sharing_freed_pages/used_frames, and on the first HVM guest xc_altp2m_get_domain_state",
                        "(EOPNOTSUPP: Xen booted without altp2m=1, or no VT-x/EPT) and xc_monitor_get_capabilities.",
                        "On a machine without Xen it lists what it can see (libxenctrl, /dev/xen/privcmd,",
                        "/sys/hypervisor/type) and why Xen is not reachable, and exits with 3.")
                .footerHeading("%nExamples:%n")
                .footer("  xenffm info", "  xenffm --json info | jq .mem_sharing", "  xenffm --backend emulated info");
        return spec;
    }

    @Override
    int run(Hypervisor hv, Printer out) {
        XenVersion v = hv.version();
        PhysInfo p = hv.physinfo();
        int abi = hv.vmEventGetVersion();
        boolean modelled = XenVersion.SUPPORTED.contains(v);
        List<DomainInfo> domains = hv.domainGetinfolist(org.xenffm.api.DomainId.DOM0, 1 << 15);

        // mem_sharing: xc_memshr_audit is the one sharing call that needs no domain and changes nothing
        String sharing, sharingWhy;
        Integer auditCount = null;
        try {
            auditCount = hv.memshrAudit();
            sharing = "built_in";
            sharingWhy = "debug hypervisor: audit found " + auditCount + " inconsistencies";
        } catch (XenException e) {
            if (e.errno() == Errno.ENOSYS) {
                sharing = "not_built_in";
                sharingWhy = "Xen was built without CONFIG_MEM_SHARING (Debian's default); every memshr call "
                        + "returns ENOSYS";
            } else if (e.errno() == Errno.EOPNOTSUPP) {
                sharing = "built_in";
                sharingWhy = "release hypervisor: the in-Xen audit is compiled out (use `xenffm audit` for the "
                        + "dom0-side check)";
            } else {
                sharing = "unknown";
                sharingWhy = e.getMessage();
            }
        }
        if (sharing.equals("built_in") && !p.vmx())
            sharingWhy += "; but this host has no VT-x, so enabling sharing fails with EOPNOTSUPP "
                    + "(mem_sharing.c:mem_sharing_control)";
        long freed = hv.sharingFreedPages(), used = hv.sharingUsedFrames();

        // altp2m and monitor capabilities can only be probed on an HVM guest
        Optional<DomainInfo> probe = domains.stream().filter(d -> d.hvm() && d.domain().value() != 0).findFirst();
        String altp2m, altp2mWhy;
        Boolean altp2mActive = null;
        Long altp2mMode = null;
        Set<MonitorEvent> caps = null;
        if (probe.isEmpty()) {
            altp2m = "unknown";
            altp2mWhy = "no HVM guest to probe; altp2m needs VT-x with EPT (physinfo: vmx=" + p.vmx() + ", hap="
                    + p.hap() + ") and Xen booted with altp2m=1";
        } else {
            var d = probe.get().domain();
            try {
                altp2mActive = hv.altp2mGetDomainState(d);
                altp2m = "available";
                altp2mWhy = "probed on " + d;
            } catch (XenException e) {
                // hvm.c:do_altp2m_op checks host support first (EOPNOTSUPP), the domain's mode later (EINVAL)
                if (e.errno() == Errno.EINVAL) {
                    altp2m = "available";
                    altp2mWhy = "this host supports it; " + d + " has no altp2m mode (HVM_PARAM_ALTP2M: xl "
                            + "altp2m=\"external\", or `xenffm altp2m enable` on Xen 4.17)";
                    altp2mActive = false;
                } else {
                    altp2m = e.errno() == Errno.EOPNOTSUPP ? "unavailable" : "unknown";
                    altp2mWhy = e.errno() == Errno.EOPNOTSUPP
                            ? "Xen was booted without altp2m=1, or the CPU lacks VT-x/EPT (probed on " + d + ")"
                            : e.getMessage();
                }
            }
            try {
                altp2mMode = hv.hvmParamGet(d, HvmParam.ALTP2M);
            } catch (XenException e) {
                // the mode is informational; a failure here is reported by the altp2m verbs themselves
            }
            try {
                caps = hv.monitorGetCapabilities(d);
            } catch (XenException e) {
                caps = null;
            }
        }

        Json j = Json.object().put("xen_available", true).put("backend", root().backend())
                .put("xen_version", v.toString()).put("modelled_by_xenffm", modelled)
                .put("vm_event_version", abi)
                .put("physinfo", Json.object().put("nr_cpus", p.nrCpus()).putUnsigned("total_pages", p.totalPages())
                        .putUnsigned("free_pages", p.freePages()).put("hvm", p.hvm()).put("hap", p.hap())
                        .put("vmx", p.vmx()).put("svm", p.svm()))
                .put("mem_sharing", Json.object().put("status", sharing).put("detail", sharingWhy)
                        .put("audit_inconsistencies", auditCount).putUnsigned("freed_pages", freed)
                        .putUnsigned("used_frames", used))
                .put("altp2m", Json.object().put("status", altp2m).put("detail", altp2mWhy)
                        .put("probed_domain", probe.map(d -> d.domain().value()))
                        .put("active", altp2mActive).put("mode", altp2mMode))
                .put("monitor_capabilities", caps == null ? null : caps.stream().map(Enum::name).sorted().toList())
                .put("domains", domains.stream().map(d -> d.domain().value()).toList());

        StringBuilder h = new StringBuilder();
        h.append("Xen ").append(v).append(modelled ? "" : " (xenffm models " + XenVersion.SUPPORTED + ")")
                .append(", vm_event interface ").append(abi).append(abi == 7 ? " (Xen 4.15+ layout)" : " (UNSUPPORTED")
                .append(abi == 7 ? "" : ": xenffm decodes version 7 only)").append('\n');
        h.append("host:        ").append(p.nrCpus()).append(" CPUs, ").append(Long.toUnsignedString(p.totalPages()))
                .append(" pages (").append(Long.toUnsignedString(p.freePages())).append(" free), ")
                .append(flags(p)).append('\n');
        h.append("mem_sharing: ").append(sharing.replace('_', ' ')).append(" — ").append(sharingWhy).append('\n');
        h.append("             freed pages ").append(freed).append(", used frames ").append(used).append('\n');
        h.append("altp2m:      ").append(altp2m).append(" — ").append(altp2mWhy);
        if (altp2mActive != null && altp2m.equals("available") && !altp2mWhy.contains("no altp2m mode"))
            h.append("; active on ").append(probe.get().domain()).append(": ")
                .append(altp2mActive ? "yes" : "no");
        if (altp2mMode != null && altp2mMode != 0) h.append(", mode ").append(modeName(altp2mMode));
        h.append('\n');
        if (caps != null) h.append("monitor:     ").append(caps.isEmpty() ? "no events" : caps.stream()
                .map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).sorted()
                .reduce((a, b) -> a + " " + b).orElse("")).append('\n');
        h.append("domains:     ").append(domains.stream().map(d -> d.domain().toString())
                .reduce((a, b) -> a + " " + b).orElse("none"));
        out.result(j, h.toString());
        return ExitCode.OK;
    }

    @Override
    int withoutXen(XenNotAvailableException e, Printer out) {
        HostFacts f = HostFacts.probe();
        out.result(Json.object().put("xen_available", false).put("reason", f.whyNoXen())
                        .put("error", e.getMessage()).put("host", f.toJson())
                        .put("suggestion", "xenffm --backend emulated info"),
                "Xen is not available: " + f.whyNoXen() + ".\n" + e.getMessage() + "\n" + f.human()
                        + "\nTo try xenffm without Xen: xenffm --backend emulated info (or demo).");
        return ExitCode.XEN_NOT_AVAILABLE;
    }

    private static String flags(PhysInfo p) {
        StringBuilder s = new StringBuilder();
        if (p.hvm()) s.append("hvm ");
        if (p.hap()) s.append("hap ");
        if (p.vmx()) s.append("vmx ");
        if (p.svm()) s.append("svm ");
        return s.isEmpty() ? "no HVM support" : s.toString().trim();
    }

    static String modeName(long mode) {
        return switch ((int) mode) {
            case 0 -> "disabled";
            case 1 -> "mixed";
            case 2 -> "external";
            case 3 -> "limited";
            default -> "unknown (" + mode + ")";
        };
    }
}
