"""Shared declarations of the catalogue, by topic: what torch lacks and the classes of properties (``features``),
higher-order and forward-mode deviations (``higher_order``), torch's documented accuracy losses (``accuracy``),
widenings and exact-zero gaps (``widenings``), NaN lanes (``lanes``), layout contracts (``layouts``) and
reduced-precision overflows (``lowprecision``).  Entries name them as ``limits.NAME``; a declaration that
serves one entry stays beside it."""
from conformance.catalogue.limits.accuracy import (  # noqa: F401 - re-exported
    TRIGAMMA_SECOND_ORDER,
)
from conformance.catalogue.limits.features import (  # noqa: F401 - re-exported
    FIRST_ORDER_REVERSE,
    NO_DOUBLE,
    NO_FORWARD,
    NO_FORWARD_OF_BACKWARD,
    NO_FORWARD_OF_FORWARD,
    REVERSE,
    in_properties,
    unmodelled,
    unsupported,
)
from conformance.catalogue.limits.higher_order import (  # noqa: F401 - re-exported
    BATCH_NORM_HIGHER_ORDER,
    BATCH_NORM_THIRD_ORDER_REFUSED,
    BCE_LOGITS_JACFWD2,
    CDIST_FUNC,
    CHOLESKY_INVERSE_FORWARD,
    FORWARD_OVER_REVERSE_LINALG,
    I0_THIRD_ORDER,
    LINALG_HIGHER_ORDER,
    LINALG_SECOND_TANGENT,
    LOGCUMSUMEXP_THIRD_ORDER,
    NORM_BFLOAT16,
    NORM_HESSIAN_FUNC,
    NORM_HIGHER_ORDER,
    NORM_SECOND_TANGENT,
    NORM_SECOND_TANGENT_REASON,
    NORM_THIRD_ORDER,
    NORM_THIRD_ORDER_REASON,
    TRIANGULAR_SOLVE_FOR,
)
from conformance.catalogue.limits.lanes import (  # noqa: F401 - re-exported
    NAN_LANES_CLAMP,
    NAN_LANES_CLAMP_COPIED,
    NAN_LANES_ELU,
    NAN_LANES_ELU_COPIED,
    NAN_LANES_LOGIT,
)
from conformance.catalogue.limits.layouts import (  # noqa: F401 - re-exported
    KRON_LAYOUT,
    TAKE_ALONG_LAYOUT,
    VIEW_SIZE,
)
from conformance.catalogue.limits.lowprecision import (  # noqa: F401 - re-exported
    _F16,
    GAUSSIAN_NLL_F16,
    LOGADDEXP_F16,
    LOGADDEXP_FIRST_F16,
    LOGCUMSUMEXP_F16,
    POLYGAMMA_F16,
    PROD_F16,
    SECOND_ORDER_F16,
    SIZED,
    TANH_MLP_F16,
)
from conformance.catalogue.limits.widenings import (  # noqa: F401 - re-exported
    COPYSIGN_SECOND_ORDER,
    CUMPROD_SECOND_ORDER,
    CUMPROD_SECOND_TANGENT,
    DET_FUNC,
    DET_STRUCTURAL_ZEROS,
    EXACT_ZERO,
    LOGCUMSUMEXP_FORWARD,
    LOGSIGMOID_SECOND_ORDER,
    LU_CREATE_GRAPH,
    MEASURED,
    ORMQR_FUNC,
    PROD_SECOND_ORDER,
    PROD_THIRD_ORDER,
    PROD_ZEROS_FORWARD_OVER_REVERSE,
    STFT_CENTER,
    UNCLASSIFIED_SECOND_ORDER,
    VANDER_SECOND_TANGENT,
    seen,
    widened,
)
