/*
 * Benchmark floor: reads every packet of a pcap file with libpcap and touches
 * one byte in every 64 of each, so the time is the least that reading the
 * file costs.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_floor FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "pcap_floor: %s\n", err);
        return 1;
    }
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint32_t checksum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        bytes += hdr->caplen;
        for (uint32_t i = 0; i < hdr->caplen; i += 64) {
            checksum += data[i];
        }
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_floor: %s\n", pcap_geterr(p));
    }
    printf("packets %llu, bytes %llu, checksum %u\n", (unsigned long long)packets,
           (unsigned long long)bytes, checksum);
    pcap_close(p);
    return 0;
}
