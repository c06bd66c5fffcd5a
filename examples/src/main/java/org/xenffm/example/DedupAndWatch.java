// SPDX-License-Identifier: Apache-2.0
package org.xenffm.example;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.HvmParam;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.HostConfig;
import org.xenffm.safe.Altp2mSetup;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import org.xenffm.xen.XenHypervisor;

import java.time.Duration;

/**
 * README's library example, as a program that depends on {@code org.xenffm:xenffm} alone.
 *
 * <p>{@code DedupAndWatch --xen DOMID_A DOMID_B} runs it on a dom0 against the real hypervisor (two HVM guests with
 * altp2m allowed; the FFM backend needs {@code --enable-native-access=ALL-UNNAMED} on the class path). Without
 * arguments it runs on an emulated Xen 4.17 host with two booted 1,024-page guests, the second of which keeps writing
 * to one page, so the watch has something to see; the emulator needs no native access.
 */
public final class DedupAndWatch {
    private DedupAndWatch() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("--xen")) {
            try (Hypervisor hv = new XenHypervisor()) {
                dedupAndWatch(hv, DomainId.of(Integer.parseInt(args[1])), DomainId.of(Integer.parseInt(args[2])),
                        Duration.ofSeconds(30));
            } catch (XenException e) {
                System.err.println(e.getMessage());
                System.exit(1);
            }
            return;
        }
        try (EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx())) {
            DomainId a = emu.createGuest(1, 1024), b = emu.createGuest(1, 1024);
            Thread guest = Thread.ofPlatform().daemon().name("guest d" + b.value()).start(() -> {
                // the guest's vCPU writes gfn 0x205 every 100 ms; a write the watch forbids pauses it until answered
                try {
                    for (byte i = 1; ; i++) {
                        emu.guest(b).vcpu(0).write(Gfn.of(0x205), 0, new byte[] {i}).await(Duration.ofSeconds(5));
                        Thread.sleep(100);
                    }
                } catch (InterruptedException | XenException e) {
                    // the example is over (or the host closed under it): the guest stops
                }
            });
            dedupAndWatch(emu, a, b, Duration.ofMillis(500));
            guest.interrupt();
        }
    }

    // README-BEGIN
    static void dedupAndWatch(Hypervisor hv, DomainId a, DomainId b, Duration watchFor) throws InterruptedException {
        Gfn page = Gfn.of(0x100);                              // deduplicate one page of two guests
        SharingHandle ha = hv.memshrNominateGfn(a, page);
        SharingHandle hb = hv.memshrNominateGfn(b, page);
        hv.memshrShareGfns(a, page, ha, b, page, hb);
        System.out.println(hv.sharingFreedPages() + " page(s) freed");

        Altp2mSetup.enable(hv, b, HvmParam.ALTP2M_EXTERNAL);   // the right way on 4.17 and on >= 4.19
        ViewId stealth = hv.altp2mCreateView(b, MemAccess.RWX);
        System.out.println("altp2m view " + stealth.value() + " created");

        try (MonitorSession s = MonitorSession.builder(hv, b)
                .memAccess(Gfn.of(0x200), 16, MemAccess.RX)    // writes to gfns 0x200-0x20f raise events
                .on(VmEvent.MemAccess.class, e -> {
                    System.out.println("write to gfn 0x" + Long.toHexString(e.gfn().value()) + " by vCPU " + e.vcpu().value());
                    return VmEventResponse.CONTINUE.emulate();  // let the write happen, keep the watch
                })
                .start()) {
            s.awaitTermination(watchFor);
        }   // close(): pauses, answers every pending event, restores the access, unpauses
        hv.altp2mDestroyView(b, stealth);
    }
    // README-END
}
