// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import org.xenffm.api.DomainConfig;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;
import org.xenffm.api.Hypervisor;
import org.xenffm.safe.SharingAwareAltp2m;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fork} / {@code fork-reset}: VM forking as KF/x uses it (xc_memshr_fork, xc_memshr_fork_reset). */
final class ForkCommands {
    private ForkCommands() {}

    @Command(name = "fork", sortOptions = false, usageHelpAutoWidth = true,
            header = "Fork a running HVM domain into a new child that shares the parent's memory lazily.",
            description = {"Creates an HVM+HAP child with the parent's vCPU count (xc_domain_create), then",
                    "xc_memshr_fork(parent, child). The child starts with an empty p2m except the page each vCPU's",
                    "CR3 names (shared while Xen loads the vCPU state); other pages are shared from the parent on",
                    "read and copied on write. Xen pauses the parent and keeps it paused until the fork",
                    "is destroyed. The child stays paused unless --unpause. Needs Xen built with mem_sharing on a",
                    "VT-x host (ENOSYS / EOPNOTSUPP otherwise). On failure the new child is destroyed again."},
            footerHeading = "%nExamples:%n",
            footer = {"  xenffm fork 1", "  xenffm fork 1 --block-interrupts --unpause",
                    "  xenffm fork 1 --child 7      (an existing, paused child)"})
    static final class Fork extends XenCommand {
        @Parameters(index = "0", paramLabel = "PARENT", description = ArgDocs.PARENT) DomainId parent;
        @Option(names = "--child", paramLabel = "DOMAIN", description = "fork into this existing paused domain")
        DomainId child;
        @Option(names = "--allow-iommu", description = "allow forking a parent with an IOMMU (XENMEM_FORK_WITH_IOMMU_ALLOWED)")
        boolean allowIommu;
        @Option(names = "--block-interrupts", description = "never inject interrupts into the child (KF/x does)")
        boolean blockInterrupts;
        @Option(names = "--unpause", description = "unpause the child after forking") boolean unpause;

        @Override int run(Hypervisor hv, Printer out) {
            DomainInfo p = hv.domainGetinfo(parent);
            SharingAwareAltp2m k = root().keeper();
            if (k != null && (allowIommu || blockInterrupts))
                throw new IllegalArgumentException("with --keep-views the fork inherits the parent's views and "
                        + "takes no --allow-iommu/--block-interrupts");
            boolean created = child == null;
            DomainId c = created ? hv.domainCreate(DomainConfig.forkChild(p.vcpus())) : child;
            try {
                if (k != null) k.fork(parent, c, true); // views recreated in the child with the same indices
                else hv.memshrFork(parent, c, allowIommu, blockInterrupts);
            } catch (RuntimeException e) {
                if (created) {
                    try {
                        hv.domainDestroy(c);
                    } catch (RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
            if (unpause) hv.domainUnpause(c);
            out.result(Json.object().put("parent", parent.value()).put("child", c.value()).put("created", created)
                            .put("vcpus", p.vcpus()).put("block_interrupts", blockInterrupts)
                            .put("child_paused", !unpause),
                    "forked " + parent + " into " + c + (created ? " (new, " + p.vcpus() + " vCPUs)" : "")
                            + "; " + parent + " is paused by Xen while the fork exists; " + c
                            + (unpause ? " is running" : " is paused (xl unpause " + c.value() + ")"));
            return ExitCode.OK;
        }
    }

    @Command(name = "fork-reset", sortOptions = false, usageHelpAutoWidth = true,
            header = "Reset a fork to its parent's state (KF/x's per-iteration reset).",
            description = {"xc_memshr_fork_reset(child, state, memory) (Xen >= 4.17 signature). --memory drops the",
                    "fork's private pages (they are re-populated from the parent on the next access), except pages",
                    "kept by an altp2m view or a mapping; --state reloads vCPU state and HVM params from the parent.",
                    "Without either option both are reset. ENOSYS: the domain is not a fork."},
            footerHeading = "%nExamples:%n", footer = {"  xenffm fork-reset 7", "  xenffm fork-reset 7 --memory"})
    static final class Reset extends XenCommand {
        @Parameters(index = "0", paramLabel = "CHILD", description = ArgDocs.CHILD) DomainId child;
        @Option(names = "--state", description = "reset vCPU state and parameters") boolean state;
        @Option(names = "--memory", description = "drop the fork's private pages") boolean memory;

        @Override int run(Hypervisor hv, Printer out) {
            boolean s = state || !memory, m = memory || !state;
            long before = hv.domainGetinfo(child).totPages();
            SharingAwareAltp2m k = root().keeper();
            if (k != null) k.forkReset(child, s, m); // re-applies the child's declared views before it runs
            else hv.memshrForkReset(child, s, m);
            long after = hv.domainGetinfo(child).totPages();
            out.result(Json.object().put("child", child.value()).put("reset_state", s).put("reset_memory", m)
                            .put("tot_pages_before", before).put("tot_pages_after", after),
                    "reset " + child + (s ? " state" : "") + (s && m ? " and" : "") + (m ? " memory" : "")
                            + "; private pages " + before + " -> " + after);
            return ExitCode.OK;
        }
    }
}
