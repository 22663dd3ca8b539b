# The real-peer lab: kernel IPsec in a QEMU guest (Debian's kernel) through `natpass run`.
# `make lab` prepares the guest (kernel package, modules, initramfs) and runs every scenario;
# `make test` runs it too when the machine allows (root, /dev/kvm not needed: TCG), else says why.

LAB_PACKAGES := qemu-system-x86 busybox-static cpio iproute2 iputils-ping netcat-openbsd kmod strongswan strongswan-swanctl coturn nftables
APT_PACKAGES += $(LAB_PACKAGES)

.PHONY: lab lab-guest test-lab

lab-guest: apt
	bash test/lab/prepare.sh build/lab

lab: deps build lab-guest
	node --import tsx test/lab/run-lab.ts

test-lab:
	@if [ "$$(id -u)" != 0 ]; then echo "lab skipped: it needs root (network namespaces and 9p in the guest)"; \
	else $(MAKE) --no-print-directory lab; fi

TEST_TARGETS += test-lab
