#include "unit.h"
#include "krb5.h"
static void t_names(void) { CU_ASSERT_STRING_EQUAL(hs_krb_error_name(13), "KDC_ERR_BADOPTION"); }
HS_UNIT_MAIN("krb5", { "names", t_names })
