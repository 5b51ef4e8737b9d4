/** The short messages a worker's phone gets about a shift (Chinese first, the workers' language; English after). */
const NOTICES: Record<string, string> = {
  shift_offered: "【Shiftex】您有新的班次邀请，请在截止时间前登录确认。You have a new shift offer: log in to confirm it before the deadline.",
  shift_replaced: "【Shiftex】您的班次已由他人接替。Your shift was given to someone else.",
  shift_lapsed: "【Shiftex】您未在截止前确认，班次已取消。You did not confirm in time; the shift is cancelled.",
  shift_cancelled: "【Shiftex】您的班次已取消。Your shift was cancelled.",
  hours_approved: "【Shiftex】您的工时已确认，工资已结算。Your hours were approved and paid.",
  hours_auto_approved: "【Shiftex】您的工时已自动确认，工资已结算。Your hours were approved automatically and paid.",
  hours_disputed: "【Shiftex】用工企业对您的工时有异议，平台将处理。The enterprise disputes your hours; an operator will decide.",
  dispute_resolved: "【Shiftex】工时争议已处理，请登录查看。The dispute about your hours is resolved: log in to see it.",
  no_show: "【Shiftex】您未按时签到，班次已记为缺勤。You did not check in in time; the shift is recorded as a no-show.",
};

/** The text for a kind of worker notice, or null when the kind is not sent to phones. */
export function noticeText(kind: string): string | null {
  return NOTICES[kind] ?? null;
}
