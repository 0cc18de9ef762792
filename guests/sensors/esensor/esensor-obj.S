/* The compiled BPF program (esensor.bpf.o), built into esensord so that the loader is one
 * static file. ESENSOR_BPF_OBJ is its path, set by the Makefile. */
	.section .rodata
	.balign 8
	.global esensor_bpf_obj
	.global esensor_bpf_obj_end
esensor_bpf_obj:
	.incbin ESENSOR_BPF_OBJ
esensor_bpf_obj_end:
	.section .note.GNU-stack, "", @progbits
