/*
 * x86_64 trampolines that clone onto a new stack and call fn(arg) there.
 *
 * After the syscall the child has the parent's registers except rax (0) and
 * rsp (the new stack). Only rcx and r11 are clobbered by `syscall`, so fn and
 * arg travel in r8/r9 (clone3) or on the new stack (clone, whose ABI uses r8
 * for tls). The child never returns into C++ frames: those live on the
 * parent's stack, which a CLONE_VM child shares. When fn returns, the child
 * ends with SYS_exit, never exit_group, which would end a whole thread group.
 *
 * long lc_clone3_call(struct clone_args *args, size_t size,
 *                     int (*fn)(void *), void *arg);
 * long lc_clone_call(unsigned long flags, void *stack_top, int *parent_tid,
 *                    int *child_tid, unsigned long tls,
 *                    int (*fn)(void *), void *arg);
 * Both return the child's TID in the parent, or -errno.
 */

#define SYS_clone 56
#define SYS_exit 60
#define SYS_clone3 435

	.text

	.globl	lc_clone3_call
	.type	lc_clone3_call, @function
	.p2align 4
lc_clone3_call:
	.cfi_startproc
	mov	%rdx, %r9		/* fn */
	mov	%rcx, %r8		/* arg */
	mov	$SYS_clone3, %eax
	syscall
	test	%rax, %rax
	jz	.Lclone3_child
	ret
.Lclone3_child:
	.cfi_undefined rip
	xor	%ebp, %ebp		/* outermost frame for debuggers */
	and	$-16, %rsp
	mov	%r8, %rdi
	call	*%r9
	mov	%eax, %edi
	mov	$SYS_exit, %eax
	syscall
	hlt
	.cfi_endproc
	.size	lc_clone3_call, .-lc_clone3_call

	.globl	lc_clone_call
	.type	lc_clone_call, @function
	.p2align 4
lc_clone_call:
	.cfi_startproc
	/* The legacy ABI has no room for arg: leave it on the child's stack. */
	mov	8(%rsp), %rax
	sub	$16, %rsi
	mov	%rax, (%rsi)
	mov	%rcx, %r10		/* child_tid: 4th syscall argument */
	mov	$SYS_clone, %eax
	syscall
	test	%rax, %rax
	jz	.Lclone_child
	ret
.Lclone_child:
	.cfi_undefined rip
	xor	%ebp, %ebp
	mov	(%rsp), %rdi
	and	$-16, %rsp
	call	*%r9
	mov	%eax, %edi
	mov	$SYS_exit, %eax
	syscall
	hlt
	.cfi_endproc
	.size	lc_clone_call, .-lc_clone_call

	.section .note.GNU-stack,"",@progbits
