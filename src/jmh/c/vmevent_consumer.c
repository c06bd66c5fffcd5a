/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C reference consumer for VmEventRingBench: the back end of a vm_event ring as tools/misc/xen-access.c drives
 * it, over Xen 4.17's own public/io/ring.h macros, with the same checks the Java consumer makes (index range,
 * version, reason, vCPU) so both do the same work. Built by the benchmark with
 *   gcc -O2 -shared -fPIC -o libvmevent_consumer.so vmevent_consumer.c
 */
#define __XEN_TOOLS__ 1
#include <stdint.h>
#include <string.h>
/* xenctrl.h's x86 barriers */
#define xen_mb()  asm volatile ("mfence" ::: "memory")
#define xen_rmb() asm volatile ("" ::: "memory")
#define xen_wmb() asm volatile ("" ::: "memory")
#include <xen/xen.h>
#include <xen/vm_event.h>

typedef struct {
    vm_event_back_ring_t back;
    RING_IDX rsp_pushed;
    uint32_t vcpus;
    uint64_t checksum; /* what the "handler" saw, so nothing is optimised away */
} consumer_t;

size_t consumer_size(void) { return sizeof(consumer_t); }

/* SHARED_RING_INIT + BACK_RING_INIT, as xen-access does after xc_monitor_enable */
void consumer_init(consumer_t *c, void *page, uint32_t vcpus)
{
    vm_event_sring_t *s = page;
    SHARED_RING_INIT(s);
    BACK_RING_INIT(&c->back, s, 4096);
    c->rsp_pushed = 0;
    c->vcpus = vcpus;
    c->checksum = 0;
}

/* Answers every unconsumed request with "continue" (echoing VCPU_PAUSED); returns how many, or -1 if corrupt. */
int consumer_drain(consumer_t *c)
{
    vm_event_back_ring_t *back = &c->back;
    int n = 0;
    for ( ;; )
    {
        RING_IDX prod = *(volatile RING_IDX *)&back->sring->req_prod;
        xen_rmb();
        if ( prod - c->rsp_pushed > RING_SIZE(back) ) return -1;
        if ( !RING_HAS_UNCONSUMED_REQUESTS(back) ) break;

        vm_event_request_t req;
        vm_event_response_t rsp;
        RING_IDX cons = back->req_cons;
        memcpy(&req, RING_GET_REQUEST(back, cons), sizeof(req));   /* xen-access.c:get_request */
        back->req_cons = ++cons;
        back->sring->req_event = cons + 1;

        if ( req.version != VM_EVENT_INTERFACE_VERSION || req.reason > 16 || req.vcpu_id >= c->vcpus )
            return -1;
        c->checksum += req.reason + req.data.regs.x86.rip;             /* the handler */

        memset(&rsp, 0, sizeof(rsp));                                 /* xen-access.c:put_response */
        rsp.version = VM_EVENT_INTERFACE_VERSION;
        rsp.vcpu_id = req.vcpu_id;
        rsp.flags = req.flags & VM_EVENT_FLAG_VCPU_PAUSED;
        rsp.reason = req.reason;
        rsp.u = req.u;                                                /* rsp.u.mem_access = req.u.mem_access */
        RING_IDX rsp_idx = back->rsp_prod_pvt;
        memcpy(RING_GET_RESPONSE(back, rsp_idx), &rsp, sizeof(rsp));
        back->rsp_prod_pvt = ++rsp_idx;
        n++;
    }
    RING_PUSH_RESPONSES(back);                                        /* wmb, then rsp_prod */
    c->rsp_pushed = back->rsp_prod_pvt;
    return n;
}

/*
 * The same loop without xen-access's whole-response memset: header and u written in place, the data union left as
 * Xen wrote it (Xen reads it only for SET_REGISTERS / SET_EMUL_*) — what the Java consumer does.
 */
int consumer_drain_lean(consumer_t *c)
{
    vm_event_back_ring_t *back = &c->back;
    int n = 0;
    for ( ;; )
    {
        RING_IDX prod = *(volatile RING_IDX *)&back->sring->req_prod;
        xen_rmb();
        if ( prod - c->rsp_pushed > RING_SIZE(back) ) return -1;
        if ( !RING_HAS_UNCONSUMED_REQUESTS(back) ) break;

        vm_event_request_t req;
        RING_IDX cons = back->req_cons;
        memcpy(&req, RING_GET_REQUEST(back, cons), sizeof(req));
        back->req_cons = ++cons;
        back->sring->req_event = cons + 1;

        if ( req.version != VM_EVENT_INTERFACE_VERSION || req.reason > 16 || req.vcpu_id >= c->vcpus )
            return -1;
        c->checksum += req.reason + req.data.regs.x86.rip;

        RING_IDX rsp_idx = back->rsp_prod_pvt;
        vm_event_response_t *rsp = RING_GET_RESPONSE(back, rsp_idx);
        rsp->version = VM_EVENT_INTERFACE_VERSION;
        rsp->flags = req.flags & VM_EVENT_FLAG_VCPU_PAUSED;
        rsp->reason = req.reason;
        rsp->vcpu_id = req.vcpu_id;
        rsp->altp2m_idx = 0;
        memset(rsp->_pad, 0, sizeof(rsp->_pad));
        rsp->u = req.u;
        back->rsp_prod_pvt = ++rsp_idx;
        n++;
    }
    RING_PUSH_RESPONSES(back);
    c->rsp_pushed = back->rsp_prod_pvt;
    return n;
}

uint64_t consumer_checksum(consumer_t *c) { return c->checksum; }
