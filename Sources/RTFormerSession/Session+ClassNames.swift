import RTFormer

extension Session {
    /// The names of the model's outputs and, when the input's dataset names do not fit the head,
    /// a one-line warning (issue 15 point 4).
    ///
    /// The input's own names (CIFAR-10, CIFAR-100, the bundled digits) are used only when their
    /// count equals the head's `numClasses`. An event input (2 channels) whose file names no
    /// classes gets DVS Gesture's 11 names on an 11-output head and the digits on a 10-output
    /// head (N-MNIST, the 10-class event dataset). Otherwise nil: outputs read `class k`.
    public var outputClassNames: (names: [String]?, warning: String?) {
        guard let cfg = config, let input else { return (nil, nil) }
        if let names = input.classNames {
            return ClassNames.fitting(names, dataset: ClassNames.datasetName(of: names), classes: cfg.numClasses)
        }
        if input.encoded.rank == 5, input.encoded.shape[2] == 2 {
            switch cfg.numClasses {
            case ClassNames.dvsGesture.count: return (ClassNames.dvsGesture, nil)
            case ClassNames.digits.count: return (ClassNames.digits, nil)
            default: break
            }
        }
        return (nil, nil)
    }
}
