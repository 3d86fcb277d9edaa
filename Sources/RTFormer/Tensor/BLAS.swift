import COpenBLAS

/// Thin wrappers over OpenBLAS (`cblas_sgemm`), row-major.
public enum BLAS {
    /// `C[M,N] = alpha · op(A) · op(B) + beta · C`, row-major, where `op(A)` is `[M,K]`
    /// (`A` stored `[K,M]` when `transA`) and `op(B)` is `[K,N]` (`B` stored `[N,K]` when `transB`).
    @inlinable
    public static func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Number of threads OpenBLAS uses (honours `OPENBLAS_NUM_THREADS` at start-up).
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's process-wide thread count.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// OpenBLAS's build configuration string (core type, threading).
    public static var config: String { String(cString: openblas_get_config()) }
}
