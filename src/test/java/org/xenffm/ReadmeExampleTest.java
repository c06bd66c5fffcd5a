package org.xenffm;

import org.junit.jupiter.api.Test;
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
import org.xenffm.emulated.Outcome;
import org.xenffm.safe.Altp2mSetup;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/** The README's "Using the library" example, run on the emulator (and on Debian's build, for its error text). */
class ReadmeExampleTest {
    @Test void theExampleWorksOnTheEmulator() throws Exception {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx());
        DomainId a = emu.createGuest(1, 1024), b = emu.createGuest(1, 1024);
        List<VmEvent.MemAccess> seen = new CopyOnWriteArrayList<>();
        try (Hypervisor hv = emu) {
            SharingHandle ha = hv.memshrNominateGfn(a, Gfn.of(0x100));
            SharingHandle hb = hv.memshrNominateGfn(b, Gfn.of(0x100));
            hv.memshrShareGfns(a, Gfn.of(0x100), ha, b, Gfn.of(0x100), hb);
            assertEquals(1, hv.sharingFreedPages());

            Altp2mSetup.enable(hv, b, HvmParam.ALTP2M_EXTERNAL);
            ViewId stealth = hv.altp2mCreateView(b, MemAccess.RWX);
            assertEquals(1, stealth.value());

            try (MonitorSession s = MonitorSession.builder(hv, b)
                    .memAccess(Gfn.of(0x200), 16, MemAccess.RX)
                    .on(VmEvent.MemAccess.class, e -> { seen.add(e); return VmEventResponse.CONTINUE.emulate(); })
                    .start()) {
                var w = emu.guest(b).vcpu(0).write(Gfn.of(0x205), 0, new byte[] {1});
                assertEquals(Outcome.COMPLETED, w.await(Duration.ofSeconds(5)), "emulated, watch kept");
                assertEquals(1, w.eventsSent());
                assertEquals(1, emu.guest(b).vcpu(0).read(Gfn.of(0x205), 0, 1).data()[0]);
                assertFalse(s.awaitTermination(Duration.ofMillis(300)), "the session runs until closed");
            }
            assertEquals(Gfn.of(0x205), seen.getFirst().gfn());
            assertEquals(MemAccess.RWX, hv.altp2mGetMemAccess(b, ViewId.HOST, Gfn.of(0x205)), "access restored");
            assertEquals(0, emu.domainGetinfo(b).vcpus() - 1, "one vCPU");
        }
    }

    @Test void theErrorTextOnAHypervisorWithoutMemSharing() {
        EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.debian());
        DomainId a = emu.createGuest(1, 64);
        XenException e = assertThrows(XenException.class, () -> emu.memshrNominateGfn(a, Gfn.of(0x100)));
        assertEquals("xc_memshr_nominate_gfn failed for d1, gfn 0x100: ENOSYS (mem_sharing not built into this "
                + "hypervisor (CONFIG_MEM_SHARING is off))", e.getMessage());
    }
}
