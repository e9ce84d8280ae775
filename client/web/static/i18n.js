// i18n.js - every interface string in English and Simplified Chinese, in one table, and the
// language switch. The choice is kept in localStorage ("prefd.lang") and <html lang> follows.
// Elements made with bind()/bindAttr() (or h()'s `t`/`tAttrs`) carry their key in data-i18n
// attributes, so switching the language re-translates the page in place; pages that draw more
// (charts) listen for the window event "langchange". Texts written by people (guidelines,
// prompts, answers, project titles) are never translated.

export const LANGS = ['en', 'zh-CN'];
const STORE_KEY = 'prefd.lang';

// key: [English, 简体中文]. {name} marks a value filled in at run time.
const STRINGS = {
  // shell
  'shell.skip': ['Skip to content', '跳到主要内容'],
  'shell.nav': ['Main', '主导航'],
  'shell.language': ['Language', '语言'],
  'shell.logout': ['Log out', '退出登录'],
  'nav.projects': ['Projects', '项目'],
  'nav.admin': ['Admin', '管理'],
  'role.admin': ['admin', '管理员'],
  'role.analyst': ['analyst', '分析员'],
  'role.rater': ['rater', '评审员'],
  'status.active': ['active', '进行中'],
  'status.paused': ['paused', '已暂停'],
  'status.closed': ['closed', '已关闭'],
  'rationale.off': ['off', '不需要'],
  'rationale.optional': ['optional', '可选'],
  'rationale.required': ['required', '必填'],
  'schedule.coverage': ['coverage: every pair in turn', '均衡：各模型对轮流'],
  'schedule.active': ['active: where the ranking is least sure', '主动：优先排名最不确定处'],
  'outcome.a': ['A is better', 'A 更好'],
  'outcome.b': ['B is better', 'B 更好'],
  'outcome.tie': ['Tie', '平局'],
  'outcome.both_bad': ['Both bad', '都不好'],
  'flag.unsafe': ['unsafe', '不安全'],
  'flag.factually_wrong': ['factually wrong', '事实错误'],
  'flag.biased': ['biased', '有偏见'],
  'flag.off_topic': ['off topic', '答非所问'],
  'flag.refusal': ['refusal', '拒绝回答'],

  // raters learn (issue 17): qualification, reviews of one's votes, own statistics, guideline changes
  'learn.nav_reviews': ['My reviews', '我的复核'],
  'learn.nav_stats': ['My quality', '我的质量'],
  'learn.unread': ['{n} unread', '{n} 条未读'],
  'learn.unread_label': ['Unread reviews of your votes: {n}', '你的投票有 {n} 条未读复核'],
  'learn.not_qualified': ['You did not reach the accuracy this project asks on its control pairs. You may try again from {time}.', '你在此项目的对照题上未达到要求的准确率。你可以在 {time} 之后重试。'],
  'learn.guidelines_title': ['The guidelines changed', '评审指南已更新'],
  'learn.guidelines_intro': ['Version {version} replaces version {known}, which you knew. Read what changed, then confirm to continue.', '第 {version} 版取代了你所熟悉的第 {known} 版。请阅读变更内容，然后确认以继续。'],
  'learn.guidelines_added': ['added', '新增'],
  'learn.guidelines_removed': ['removed', '删除'],
  'learn.guidelines_full': ['The guidelines now', '现行评审指南'],
  'learn.guidelines_ack': ['I have read the change', '我已阅读变更'],
  'learn.guidelines_acked': ['Thank you: here is your next comparison.', '谢谢：这是你的下一组对比。'],
  'learn.reviews_title': ['Reviews of my votes', '我的投票复核'],
  'learn.reviews_intro': ['What reviewers said about your votes, newest first. You may answer each review once.', '复核员对你的投票的意见，最新的在前。每条复核你可以回复一次。'],
  'learn.reviews_none': ['No reviews of your votes yet.', '你的投票还没有复核。'],
  'learn.review_by': ['Reviewer {who} · {when}', '复核员 {who} · {when}'],
  'learn.verdict_agree': ['Agrees with your vote', '同意你的投票'],
  'learn.verdict_disagree': ['Disagrees with your vote', '不同意你的投票'],
  'learn.your_choice': ['Your choice:', '你的选择：'],
  'learn.new': ['new', '新'],
  'learn.comment': ['Comment:', '评语：'],
  'learn.no_comment': ['(no comment)', '（无评语）'],
  'learn.your_reply': ['Your reply:', '你的回复：'],
  'learn.reply_label': ['Reply to this review (once)', '回复此复核（仅一次）'],
  'learn.reply_send': ['Send reply', '发送回复'],
  'learn.reply_sent': ['Reply sent.', '回复已发送。'],
  'learn.reply_conflict': ['You had already answered this review.', '你已回复过此复核。'],
  'learn.more': ['Show older reviews', '显示更早的复核'],
  'learn.stats_title': ['My quality', '我的质量'],
  'learn.stats_intro': ['Your numbers in this project, computed as the project’s quality statistics are, beside the project’s median rater.', '你在此项目中的各项指标，计算方式与项目质量统计相同，并与项目中位评审员对比。'],
  'learn.stats_metric': ['Measure', '指标'],
  'learn.stats_mine': ['You', '你'],
  'learn.stats_median': ['Project median', '项目中位数'],
  'learn.stats_raters': ['Raters in the project: {n}', '项目评审员人数：{n}'],
  'learn.stats_warnings': ['Warnings', '警告'],
  'learn.stats_no_warnings': ['No warnings.', '没有警告。'],
  'learn.stats_qualification': ['Qualification: {state} ({correct} of {answered} right; {gold} needed at {min})', '资格：{state}（{answered} 题答对 {correct} 题；需回答 {gold} 题，准确率 {min}）'],
  'learn.m.votes': ['Votes', '投票数'],
  'learn.m.median_seconds': ['Median time per vote (s)', '每票中位用时（秒）'],
  'learn.m.tie_rate': ['Ties', '平局比例'],
  'learn.m.left_rate': ['Left chosen', '选择左侧比例'],
  'learn.m.gold_accuracy': ['Control pairs right', '对照题正确率'],
  'learn.m.agreement': ['Agreement with others', '与他人一致率'],
  'learn.m.accuracy': ['Estimated accuracy', '估计准确率'],
  'learn.m.weight': ['Reliability weight', '可靠性权重'],
  'learn.q.pending': ['pending', '进行中'],
  'learn.q.qualified': ['qualified', '已通过'],
  'learn.q.failed': ['failed', '未通过'],
  'learn.w.fast': ['Fast: your median time per vote is below the project’s minimum.', '过快：你每票的中位用时低于项目最低要求。'],
  'learn.w.side_bias': ['Side bias: you choose one side more often than chance explains.', '位置偏好：你选择某一侧的频率超出随机范围。'],
  'learn.filter.label': ['Show', '显示'],
  'learn.filter.all': ['every vote', '全部投票'],
  'learn.filter.disagreement': ['votes against the majority', '与多数不一致的投票'],
  'learn.filter.gold_wrong': ['control pairs answered wrongly', '答错的对照题'],
  'learn.filter.flagged': ['flagged votes', '带标记的投票'],
  'learn.filter.rater': ['Rater', '评审员'],
  'learn.filter.rater_any': ['any rater', '任意评审员'],
  'learn.filter.apply': ['Filter', '筛选'],
  'learn.w.gold': ['Control pairs: your accuracy on them is below the project’s minimum.', '对照题：你的准确率低于项目最低要求。'],

  // common
  'common.loading': ['Loading…', '加载中…'],
  'common.date': ['{d}', '{d}'],
  'common.retry': ['Try again', '重试'],
  'common.cancel': ['Cancel', '取消'],
  'common.error': ['Error', '错误'],
  'common.not_found_title': ['Page not found', '找不到页面'],
  'common.not_found_text': ['There is no page at this address.', '此地址没有页面。'],

  // errors
  'err.network': ['The server cannot be reached. Check your connection and try again.', '无法连接服务器。请检查网络后重试。'],
  'err.session': ['Your session has expired. Log in again to continue.', '登录已过期，请重新登录后继续。'],
  'err.forbidden': ['You are not allowed to do this.', '你没有执行此操作的权限。'],
  'err.not_found': ['Not found: {detail}', '未找到：{detail}'],
  'err.conflict': ['Conflict: {detail}', '冲突：{detail}'],
  'err.gone': ['This has expired.', '已过期。'],
  'err.too_large': ['Too large: {detail}', '内容过大：{detail}'],
  'err.invalid': ['Not accepted: {detail}', '未被接受：{detail}'],
  'err.rate_limited': ['Too many attempts. Try again in {seconds} seconds.', '尝试次数过多，请在 {seconds} 秒后重试。'],
  'err.unavailable': ['The server is unavailable right now. Try again in a moment.', '服务器暂时不可用，请稍后重试。'],
  'err.server': ['The server answered with an error ({status}): {detail}', '服务器返回错误（{status}）：{detail}'],
  'err.unexpected': ['Something went wrong: {detail}', '出现问题：{detail}'],

  // login
  'login.title': ['Log in', '登录'],
  'login.intro': ['Log in to rate answers, follow rankings or run projects.', '登录后即可评审回答、查看排名或管理项目。'],
  'login.username': ['User name', '用户名'],
  'login.password': ['Password', '密码'],
  'login.submit': ['Log in', '登录'],
  'login.missing': ['Enter your user name and password.', '请输入用户名和密码。'],
  'login.wrong': ['Wrong user name or password.', '用户名或密码错误。'],

  // home
  'home.title': ['Your projects', '我的项目'],
  'home.intro_rater': ['Pick a project and start rating. Which model wrote which answer is hidden.', '选择一个项目开始评审。回答出自哪个模型是隐藏的。'],
  'home.intro_staff': ['Projects, their leaderboards, quality checks and exports.', '项目及其排行榜、质量检查和数据导出。'],
  'home.none': ['No projects are open to you yet.', '目前还没有向你开放的项目。'],
  'home.none_admin': ['There are no projects yet. Create one on the admin page.', '还没有项目。请在管理页面创建。'],
  'home.rate': ['Start rating', '开始评审'],
  'home.not_active': ['This project is {status}.', '此项目{status}。'],
  'home.leaderboard': ['Leaderboard', '排行榜'],
  'home.review': ['Review votes', '复核投票'],
  'home.quality': ['Quality', '质量'],
  'home.edit': ['Settings', '设置'],
  'home.manage': ['Manage projects and users', '管理项目和用户'],
  'home.progress': ['{done} done · {left} left', '已完成 {done} · 剩余 {left}'],
  'home.progress_finished': ['{done} done · nothing left for you', '已完成 {done} · 没有剩余'],
  'home.progress_of': ['Your progress in {title}', '你在“{title}”中的进度'],

  // rating
  'rate.title': ['Rating', '评审'],
  'rate.page_title': ['Rate: {title}', '评审：{title}'],
  'rate.progress': ['{done} done · {remaining} left', '已完成 {done} · 剩余 {remaining}'],
  'rate.progress_done': ['all done', '全部完成'],
  'rate.guidelines': ['Guidelines', '评审指南'],
  'rate.version': ['(version {v})', '（第 {v} 版）'],
  'rate.no_guidelines': ['This project has no written guidelines.', '此项目没有书面指南。'],
  'rate.prompt': ['Prompt', '问题'],
  'rate.answer_a': ['Answer A', '回答 A'],
  'rate.answer_b': ['Answer B', '回答 B'],
  'rate.empty_answer': ['(This answer is empty.)', '（此回答为空。）'],
  'rate.flags_a': ['Flags for answer A', '标记回答 A'],
  'rate.flags_b': ['Flags for answer B', '标记回答 B'],
  'rate.flag': ['{flag}', '{flag}'],
  'rate.rationale_optional': ['Why? (optional)', '理由（可选）'],
  'rate.rationale_required': ['Why? (required)', '理由（必填）'],
  'rate.rationale_hint': ['Press Esc to leave the text box and use the keys again.', '按 Esc 离开文本框后即可继续使用快捷键。'],
  'rate.rationale_missing': ['This project asks for a rationale: write a few words before choosing.', '此项目要求填写理由：请先写几句话再做选择。'],
  'rate.choices': ['Your judgement', '你的判断'],
  'rate.skip': ['Skip', '跳过'],
  'rate.keys': ['Keys: 1 A is better · 2 B is better · 3 tie · 4 both bad · S skip · U undo · G guidelines · ? all keys', '快捷键：1 A 更好 · 2 B 更好 · 3 平局 · 4 都不好 · S 跳过 · U 撤销 · G 评审指南 · ? 全部快捷键'],
  'rate.saved': ['Vote saved.', '投票已保存。'],
  'rate.skipped': ['Skipped.', '已跳过。'],
  'rate.done': ['Nothing is left for you to rate in this project. Thank you!', '此项目中已没有需要你评审的内容。谢谢！'],
  'rate.back': ['Back to projects', '返回项目列表'],
  'rate.expired': ['That comparison expired before your vote arrived, so it was not counted. Here is a new one.', '该对比在你的投票送达前已过期，未被计入。这是一组新的对比。'],
  'rate.conflict': ['A different vote was already recorded for that comparison. Here is the next one.', '该对比已记录了另一个投票。这是下一组。'],
  'rate.not_yours': ['That comparison is no longer assigned to you. Here is the next one.', '该对比已不再分配给你。这是下一组。'],
  'rate.unavailable': ['The server is unavailable, so nothing was saved. Check your connection, then try again.', '服务器不可用，未保存任何内容。请检查网络后重试。'],
  'rate.unavailable_next': ['The server is unavailable, so the next comparison could not be loaded. Try again in a moment.', '服务器不可用，无法加载下一组对比。请稍后重试。'],
  'rate.inactive': ['This project is paused or closed: it gives out no work right now.', '此项目已暂停或关闭，目前没有可评审的内容。'],
  'rate.no_project': ['There is no project “{slug}” open to you.', '没有向你开放的项目“{slug}”。'],
  'rate.gold_title': ['Control question', '检验题'],
  'rate.gold_expected': ['You chose “{chosen}”; the expected answer was “{expected}”.', '你选择了“{chosen}”，正确答案是“{expected}”。'],
  'rate.gold_reason': ['Why:', '原因：'],
  'rate.continue': ['Continue', '继续'],

  // review
  'review.title': ['Review', '复核'],
  'review.page_title': ['Review: {title}', '复核：{title}'],
  'review.intro': ['Another rater’s vote, as they saw it: do you agree with their choice? Which model wrote which answer, and who voted, stay hidden.', '另一位评审员的投票，按其所见展示：你是否同意其选择？回答出自哪个模型、由谁投票，均保持隐藏。'],
  'review.count': ['earlier reviews: {n}', '此前复核次数：{n}'],
  'review.chosen': ['chosen', '被选中'],
  'review.flagged': ['Flagged:', '被标记：'],
  'review.their_vote': ['The rater’s vote', '评审员的投票'],
  'review.choice': ['Choice:', '选择：'],
  'review.rationale': ['Rationale:', '理由：'],
  'review.no_rationale': ['(no rationale given)', '（未填写理由）'],
  'review.vote_id': ['Vote {id}', '投票 {id}'],
  'review.comment': ['Comment (optional)', '评语（可选）'],
  'review.verdict': ['Your verdict', '你的结论'],
  'review.agree': ['Agree', '同意'],
  'review.disagree': ['Disagree', '不同意'],
  'review.keys': ['Keys: Y agree · N disagree · G guidelines · ? all keys', '快捷键：Y 同意 · N 不同意 · G 评审指南 · ? 全部快捷键'],
  'review.saved': ['Review saved.', '复核已保存。'],
  'review.done': ['Nothing is left for you to review in this project. Thank you!', '此项目中已没有需要你复核的投票。谢谢！'],
  'review.not_reviewer': ['You are not a reviewer of project “{slug}”.', '你不是项目“{slug}”的复核员。'],
  'review.conflict': ['You had already reviewed that vote differently; your earlier review stands. Here is the next one.', '你此前已对该投票做出不同的复核，以之前的为准。这是下一条。'],
  'review.gone': ['That vote can no longer be reviewed. Here is the next one.', '该投票已无法复核。这是下一条。'],
  'review.unavailable': ['The server is unavailable, so your review was not saved. Check your connection, then try again.', '服务器不可用，复核未保存。请检查网络后重试。'],

  // keyboard help (keys.js) and the rating/review additions of issue 12
  'keys.title': ['Keyboard shortcuts', '键盘快捷键'],
  'keys.button': ['Shortcuts', '快捷键'],
  'keys.close': ['Close', '关闭'],
  'keys.help': ['Show or hide this list', '显示或隐藏此列表'],
  'keys.esc': ['Leave a text box; close this list', '离开文本框；关闭此列表'],
  'keys.rate.a': ['Answer A is better', '回答 A 更好'],
  'keys.rate.b': ['Answer B is better', '回答 B 更好'],
  'keys.rate.tie': ['Tie', '平局'],
  'keys.rate.both_bad': ['Both are bad', '都不好'],
  'keys.rate.skip': ['Skip this comparison', '跳过此对比'],
  'keys.rate.undo': ['Undo the last vote (for a short while after it)', '撤销上一次投票（投票后短时间内）'],
  'keys.rate.written': ['Show both answers as written, or rendered', '以原文或排版方式显示两个回答'],
  'keys.rate.switch': ['Show the other answer (narrow screens)', '显示另一个回答（窄屏）'],
  'keys.guidelines': ['Open or close the guidelines', '展开或收起评审指南'],
  'keys.review.agree': ['Agree with the rater', '同意评审员'],
  'keys.review.disagree': ['Disagree with the rater', '不同意评审员'],
  'rate.as_written': ['As written', '原文'],
  'rate.as_written_label': ['Show answer {side} exactly as written', '按原文显示回答 {side}'],
  'rate.show_answer': ['Show answer', '显示回答'],
  'rate.switch_label': ['Which answer to show', '显示哪个回答'],
  'rate.time_left': ['This comparison is held for you for {seconds} s more.', '此对比还为你保留 {seconds} 秒。'],
  'rate.renew_failed': ['Could not keep this comparison for you; your choice is still sent when you vote.', '无法继续为你保留此对比；投票时仍会提交你的选择。'],
  'rate.lease_lost': ['This comparison was given back: you were away too long. Your flags and rationale are kept and return if it comes back to you.', '你离开太久，此对比已被收回。你的标记和理由已保存，若再次分配给你会自动恢复。'],
  'rate.draft_restored': ['Your unsent flags and rationale for this comparison were restored.', '已恢复你对此对比未提交的标记和理由。'],
  'rate.undo': ['Undo last vote', '撤销上一次投票'],
  'rate.undone': ['Your last vote was taken back: here is that comparison again.', '上一次投票已撤销：这是该对比。'],
  'rate.undo_expired': ['That vote can no longer be undone: the time for it has passed.', '该投票已无法撤销：撤销时限已过。'],
  'rate.already_undone': ['That vote was already undone.', '该投票已被撤销。'],

  // leaderboard
  'lb.title': ['Leaderboard', '排行榜'],
  'lb.page_title': ['Leaderboard: {title}', '排行榜：{title}'],
  'lb.staff_only': ['Leaderboards are for admins and analysts.', '排行榜仅对管理员和分析员开放。'],
  'lb.filters': ['Filters', '筛选'],
  'lb.filters_active': ['({n} set)', '（已设 {n} 项）'],
  'lb.filters_none': ['(none set: defaults)', '（未设置，使用默认值）'],
  'lb.apply': ['Apply', '应用'],
  'lb.reset': ['Reset', '重置'],
  'lb.default': ['default', '默认'],
  'lb.no_anchor': ['none', '无'],
  'lb.any': ['any', '全部'],
  'lb.since_after_until': ['“Since” is after “until”: pick a start day on or before the end day.', '“起始日期”晚于“截止日期”：请选择不晚于截止日期的起始日期。'],
  'lb.f.ties': ['Ties', '平局处理'],
  'lb.f.both_bad': ['Both bad', '都不好'],
  'lb.f.ci': ['Interval', '置信区间'],
  'lb.f.rounds': ['Bootstrap rounds', 'Bootstrap 轮数'],
  'lb.f.seed': ['Seed', '随机种子'],
  'lb.f.category': ['Category', '类别'],
  'lb.f.language': ['Language', '语言'],
  'lb.f.since': ['Since', '起始日期'],
  'lb.f.until': ['Until', '截止日期'],
  'lb.f.min_votes': ['Minimum votes', '最少票数'],
  'lb.f.anchor': ['Anchor model', '锚定模型'],
  'lb.f.anchor_rating': ['Anchor rating', '锚定分数'],
  'lb.opt.ties.half': ['half a win each', '各算半胜'],
  'lb.opt.ties.davidson': ['Davidson model', 'Davidson 模型'],
  'lb.opt.ties.exclude': ['left out', '不计入'],
  'lb.opt.both_bad.tie': ['count as tie', '算作平局'],
  'lb.opt.both_bad.exclude': ['left out', '不计入'],
  'lb.opt.ci.sandwich': ['sandwich (fast)', '三明治估计（快）'],
  'lb.opt.ci.bootstrap': ['bootstrap', 'bootstrap 重抽样'],
  'lb.opt.ci.none': ['none', '无'],
  'lb.model.bradley-terry': ['Bradley-Terry', 'Bradley-Terry'],
  'lb.summary': ['{votes} votes, {models} models.', '共 {votes} 票，{models} 个模型。'],
  'lb.computed': ['Computed {at}.', '计算于 {at}。'],
  'lb.method': ['Method: {model}; ties: {ties}; interval: {ci}; votes: {weights}.', '方法：{model}；平局：{ties}；区间：{ci}；投票：{weights}。'],
  'lb.weights_label': ['Votes:', '投票：'],
  'lb.weights.none': ['plain', '不加权'],
  'lb.weights.reliability': ['reliability-weighted', '按可靠性加权'],
  'lb.weights_hint': ['Plain counts every vote once. Reliability-weighted counts each vote by its rater’s reliability weight (see the quality page), so careless raters move the ratings less. The vote counts shown stay the plain counts.', '不加权时每票计一次。按可靠性加权时，每票按其评审员的可靠性权重计入（见质量页面），粗心的评审员对分数的影响更小。显示的票数仍为原始计数。'],
  'lb.style_label': ['Answer style:', '回答风格：'],
  'lb.style.none': ['as voted', '按原始投票'],
  'lb.style.control': ['controlled for', '控制风格因素'],
  'lb.style_hint': ['Controlled for: each model’s rating with the effect of its answers’ length, headers, lists and bold text taken out, as the Chatbot Arena’s default board does. The rating without it is shown beside.', '控制风格因素：去除回答长度、标题、列表和加粗文字的影响后的分数（与 Chatbot Arena 默认榜单相同），并在旁边显示未控制时的分数。'],
  'lb.robustness': ['Show how many votes each order rests on', '显示每个名次依赖多少票'],
  'lb.robustness_hint': ['For each model and the one rated just below it: the fewest votes found whose removal would swap them, checked by refitting without them.', '对每个模型及紧随其后的模型：找到的、去掉后会使两者名次互换的最少投票数（已通过去掉这些票后重新拟合验证）。'],
  'lb.method_style': ['Ratings controlled for the answers’ style.', '分数已控制回答风格因素。'],
  'lb.col.plain': ['Without style control', '未控制风格'],
  'lb.col.flip': ['Order over the next', '与下一名的次序'],
  'lb.flip': ['holds unless {n} votes ({share}) are dropped', '除非去掉 {n} 票（{share}），否则保持领先'],
  'lb.flip_one': ['holds unless 1 vote ({share}) is dropped', '除非去掉 1 票（{share}），否则保持领先'],
  'lb.flip_none': ['holds against {below} (no set of votes found)', '对 {below} 保持领先（未找到可翻转的投票集合）'],
  'lb.flip_title': ['Removing these votes would put {below} ahead: {ids}', '去掉这些投票会使 {below} 领先：{ids}'],
  'lb.style_coefs': ['Style coefficients', '风格系数'],
  'lb.style_coefs_hint': ['Log-odds of winning per standard deviation of each feature’s difference between the two answers, with 95% intervals; from {votes} votes whose answers’ style is known ({without} without).', '两个回答的各项特征差每增加一个标准差时获胜的对数几率，附 95% 区间；基于 {votes} 张已知回答风格的投票（{without} 张未知）。'],
  'lb.col.feature': ['Feature', '特征'],
  'lb.col.coef': ['Coefficient', '系数'],
  'lb.feature.length': ['length (characters)', '长度（字符）'],
  'lb.feature.headers': ['Markdown headers', 'Markdown 标题'],
  'lb.feature.lists': ['list items', '列表项'],
  'lb.feature.bold': ['bold spans', '加粗片段'],
  'lb.constant': ['the same everywhere', '处处相同'],
  'lb.bias': ['Position: left chosen {left} times, right {right}, ties {tie}.', '位置偏好：选左 {left} 次，选右 {right} 次，平局 {tie} 次。'],
  'lb.components': ['The comparisons form {n} separate groups: ratings are comparable only within a group.', '对比数据分成 {n} 个互不相连的组：只有同组内的分数可以比较。'],
  'lb.table': ['Ranking', '排名'],
  'lb.col.rank': ['Rank', '名次'],
  'lb.col.model': ['Model', '模型'],
  'lb.col.rating': ['Rating', '分数'],
  'lb.col.ci': ['95% interval', '95% 区间'],
  'lb.col.votes': ['Votes', '票数'],
  'lb.col.win_rate': ['Win rate', '胜率'],
  'lb.col.wltb': ['W / L / T / BB', '胜 / 负 / 平 / 都差'],
  'lb.chart': ['Ratings with intervals', '分数及置信区间'],
  'lb.chart_title': ['Ratings with their 95% intervals', '各模型分数及 95% 置信区间'],
  'lb.chart_hint': ['Dot: rating. Bar: interval. Models whose bars do not overlap differ clearly.', '圆点为分数，横条为区间。横条不重叠的模型差异明显。'],
  'lb.heatmap': ['Win rates, model against model', '模型两两胜率'],
  'lb.heat_observed': ['observed', '实际'],
  'lb.heat_predicted': ['predicted by the model', '模型预测'],
  'lb.heat_hint': ['Each cell: how often the row model beats the column model (a tie counts half). Blue: row wins more; red: row loses more.', '每格表示行模型战胜列模型的比例（平局算一半）。蓝色：行模型胜多；红色：行模型负多。'],
  'lb.heat_caption': ['Observed win rate of the row model over the column model', '行模型对列模型的实际胜率'],
  'lb.heat_caption_predicted': ['Predicted win rate of the row model over the column model', '行模型对列模型的预测胜率'],
  'lb.heat_corner': ['row beats column', '行胜列'],
  'lb.heat_none': ['–', '–'],
  'lb.heat_cell': ['{row} over {col}: {rate} ({n} comparisons)', '{row} 对 {col}：{rate}（{n} 次对比）'],
  'lb.heat_cell_none': ['{row} and {col} were not compared', '{row} 与 {col} 未曾对比'],
  'lb.empty': ['No votes match these filters yet.', '暂无符合这些筛选条件的投票。'],
  'lb.downloads': ['Download the votes', '下载投票数据'],
  'lb.export.jsonl': ['JSON Lines', 'JSON Lines'],
  'lb.export.csv': ['CSV', 'CSV'],
  'lb.export.arena': ['Chatbot Arena', 'Chatbot Arena'],
  'lb.export.dpo': ['DPO pairs', 'DPO 偏好对'],
  'lb.export_hint.jsonl': ['every vote, one JSON object per line', '全部投票，每行一个 JSON 对象'],
  'lb.export_hint.csv': ['the same columns, for spreadsheets', '相同字段，适合电子表格'],
  'lb.export_hint.arena': ['the Chatbot Arena battle layout', 'Chatbot Arena 对战格式'],
  'lb.export_hint.dpo': ['prompt, chosen and rejected texts for preference training', '问题及被选中/被拒绝的回答，用于偏好训练'],
  'lb.export.leaderboard_csv': ['Leaderboard (CSV)', '排行榜（CSV）'],
  'lb.export_hint.leaderboard_csv': ['the table above, with the method and filters applied', '上面的表格，按当前方法和筛选条件'],
  'lb.downloads_filtered': ['With the filters applied: {filters}.', '已按当前筛选条件：{filters}。'],
  'lb.downloads_all': ['No filter applied: every counted vote.', '未设筛选条件：全部计入的投票。'],

  // quality
  'qc.title': ['Quality', '质量控制'],
  'qc.page_title': ['Quality: {title}', '质量控制：{title}'],
  'qc.staff_only': ['Quality pages are for admins and analysts.', '质量页面仅对管理员和分析员开放。'],
  'qc.intro_admin': ['How each rater votes, how well raters agree, and which answers were flagged. Exclude a rater’s votes, or one vote, from the rankings; every exclusion can be undone.', '每位评审员的投票情况、评审员之间的一致性，以及被标记的回答。可将某位评审员的投票或单个投票排除出排名；每次排除都可以撤销。'],
  'qc.intro_analyst': ['How each rater votes, how well raters agree, and which answers were flagged. Admins decide what is excluded from the rankings.', '每位评审员的投票情况、评审员之间的一致性，以及被标记的回答。排除哪些投票由管理员决定。'],
  'qc.raters': ['Raters', '评审员'],
  'qc.thresholds': ['Warnings: a median time below {min_seconds} s per vote (over at least {fast_min_votes} timed votes); the left answer chosen more or less often than a fair coin plausibly would (over at least {side_min_votes} decided votes); fewer than {min_gold} of control pairs right (over at least {gold_min_seen}).', '警告条件：每票中位用时低于 {min_seconds} 秒（至少 {fast_min_votes} 次计时投票）；选左比例超出公平硬币的合理范围（至少 {side_min_votes} 次有胜负的投票）；检验题正确率低于 {min_gold}（至少 {gold_min_seen} 道）。'],
  'qc.weight_hint': ['Accuracy: the estimated share of right answers, from control pairs and from comparisons that others judged too. Weight (0 to 1): how much the rater’s votes count in reliability-weighted rankings; it stays near 1 while there is little evidence.', '估计准确率：根据检验题以及他人也评判过的对比估计的答对比例。权重（0 到 1）：该评审员的投票在按可靠性加权的排名中所占分量；证据较少时接近 1。'],
  'qc.no_raters': ['Nobody has rated in this project yet.', '此项目还没有人参与评审。'],
  'qc.col.rater': ['Rater', '评审员'],
  'qc.col.votes': ['Votes', '票数'],
  'qc.col.median': ['Median time', '中位用时'],
  'qc.col.tie_rate': ['Ties', '平局率'],
  'qc.col.left_rate': ['Left chosen', '选左率'],
  'qc.col.gold': ['Control pairs right', '检验题正确率'],
  'qc.col.agreement': ['Agreement', '一致率'],
  'qc.col.accuracy': ['Accuracy (est.)', '估计准确率'],
  'qc.col.weight': ['Weight', '权重'],
  'qc.col.reviews': ['Reviews: agree / disagree', '复核：同意 / 不同意'],
  'qc.col.skips': ['Skips', '跳过'],
  'qc.col.flags': ['Flags', '标记'],
  'qc.col.status': ['In rankings', '计入排名'],
  'qc.col.actions': ['Actions', '操作'],
  'qc.seconds': ['{n} s', '{n} 秒'],
  'qc.gold_cell': ['{acc} of {seen}', '{seen} 道中 {acc}'],
  'qc.counted': ['counted', '计入'],
  'qc.excluded': ['excluded', '已排除'],
  'qc.warn.fast': ['too fast', '过快'],
  'qc.warn.side_bias': ['side bias', '偏向一侧'],
  'qc.warn.gold': ['misses control pairs', '检验题出错多'],
  'qc.warn_detail.fast': ['median {value} s per vote, below {threshold} s', '每票中位用时 {value} 秒，低于 {threshold} 秒'],
  'qc.warn_detail.side_bias': ['left chosen in {value} of decided votes, beyond {threshold}', '有胜负的投票中选左 {value}，超出 {threshold}'],
  'qc.warn_detail.gold': ['{value} of control pairs right, below {threshold}', '检验题正确率 {value}，低于 {threshold}'],
  'qc.exclude_more': ['Exclude…', '排除…'],
  'qc.exclude': ['Exclude', '排除'],
  'qc.include': ['Count again', '重新计入'],
  'qc.reason_for': ['Why exclude the votes of {name}?', '为何排除 {name} 的投票？'],
  'qc.reason_missing': ['Give a reason: it is kept with the exclusion.', '请填写理由：它会随排除记录一起保存。'],
  'qc.rater_excluded': ['The votes of {name} no longer count in the rankings.', '{name} 的投票已不再计入排名。'],
  'qc.rater_included': ['The votes of {name} count again.', '{name} 的投票已重新计入排名。'],
  'qc.vote_excluded': ['Vote {id} no longer counts in the rankings.', '投票 {id} 已不再计入排名。'],
  'qc.vote_included': ['Vote {id} counts again.', '投票 {id} 已重新计入排名。'],
  'qc.agreement': ['Agreement between raters', '评审员之间的一致性'],
  'qc.alpha': ['Krippendorff’s alpha', 'Krippendorff α 系数'],
  'qc.percent': ['Percent agreement', '一致百分比'],
  'qc.units': ['Comparisons with 2+ votes', '有两票及以上的对比'],
  'qc.no_agreement': ['Not enough comparisons were judged by two or more raters yet.', '由两位及以上评审员评判的对比还不够。'],
  'qc.by_category': ['By category', '按类别'],
  'qc.col.category': ['Category', '类别'],
  'qc.agreement_hint': ['Alpha is 1 when raters always agree and 0 when they agree no more than chance would have them; percent agreement is the share of pairs of votes on the same comparison that match. Control pairs are left out.', 'α 为 1 表示评审员总是一致，为 0 表示一致程度不高于随机；一致百分比是同一对比上两两投票相同的比例。检验题不计入。'],
  'qc.exclusions': ['Exclusions from rankings', '排名排除记录'],
  'qc.exclusions_hint': ['Excluded votes leave the rankings and the exports; the statistics above still include them. Every exclusion stays listed, also after it is undone.', '被排除的投票不计入排名和导出数据；上面的统计仍包含它们。每条排除记录都会保留，撤销后也是如此。'],
  'qc.no_exclusions': ['Nothing is excluded.', '没有排除记录。'],
  'qc.col.what': ['Excluded', '排除对象'],
  'qc.col.reason': ['Reason', '理由'],
  'qc.col.by': ['By', '操作人'],
  'qc.col.when': ['When', '时间'],
  'qc.col.state': ['State', '状态'],
  'qc.what_rater': ['all votes of {name}', '{name} 的全部投票'],
  'qc.what_vote': ['vote {id}', '投票 {id}'],
  'qc.standing': ['in force', '生效中'],
  'qc.undone': ['undone by {who}, {when}', '已由 {who} 于 {when} 撤销'],
  'qc.undo': ['Undo', '撤销'],
  'qc.exclude_vote': ['Exclude one vote', '排除单个投票'],
  'qc.f.vote_id': ['Vote id', '投票 ID'],
  'qc.h.vote_id': ['The vote_id of a JSON Lines or CSV export, or the number on the review page.', '即 JSON Lines 或 CSV 导出数据中的 vote_id，或复核页面上显示的编号。'],
  'qc.f.reason': ['Reason', '理由'],
  'qc.vote_missing': ['Enter the id of a vote (a whole number).', '请输入投票 ID（整数）。'],
  'qc.flagged': ['Flagged answers', '被标记的回答'],
  'qc.no_flagged': ['No answer has been flagged.', '还没有回答被标记。'],
  'qc.by_model': ['by {model}', '来自 {model}'],
  'qc.flag_votes': ['votes flagging it: {n}', '标记它的投票：{n}'],
  'qc.flag_count': ['{flag} × {n}', '{flag} × {n}'],
  'qc.rationales': ['Rationales ({n})', '理由（{n}）'],
  'qc.more': ['More', '更多'],

  // admin
  'admin.title': ['Administration', '管理'],
  'admin.only': ['This page is for admins.', '此页面仅对管理员开放。'],
  'admin.tab_projects': ['Projects', '项目'],
  'admin.tab_users': ['Users', '用户'],
  'admin.projects': ['Projects', '项目'],
  'admin.new_project': ['New project', '新建项目'],
  'admin.no_projects': ['No projects yet.', '还没有项目。'],
  'admin.col.project': ['Project', '项目'],
  'admin.col.status': ['Status', '状态'],
  'admin.col.progress': ['Votes', '投票进度'],
  'admin.col.prompts': ['Prompts', '问题数'],
  'admin.col.comparisons': ['Comparisons', '对比数'],
  'admin.col.active': ['Open now', '进行中'],
  'admin.col.raters': ['Raters', '评审员'],
  'admin.col.actions': ['Actions', '操作'],
  'admin.progress_of': ['Votes collected for {title}', '{title} 已收集的投票'],
  'admin.votes_of': ['{votes} of {target} ({pct})', '{votes} / {target}（{pct}）'],
  'admin.edit': ['Edit', '编辑'],
  'admin.edit_project': ['Edit “{title}”', '编辑“{title}”'],
  'admin.create_project': ['Create project', '创建项目'],
  'admin.save': ['Save', '保存'],
  'admin.nothing_changed': ['Nothing changed.', '没有修改。'],
  'admin.project_created': ['Project “{title}” created.', '项目“{title}”已创建。'],
  'admin.project_saved': ['Project “{title}” saved.', '项目“{title}”已保存。'],
  'admin.f.slug': ['Short name (in addresses)', '短名称（用于网址）'],
  'admin.h.slug': ['Lower-case letters, digits, - and _. Cannot be changed later.', '小写字母、数字、- 和 _，创建后不可修改。'],
  'admin.f.title': ['Title', '标题'],
  'admin.f.status': ['Status', '状态'],
  'admin.f.rationale': ['Rationale from raters', '评审理由'],
  'admin.f.overlap': ['Raters per comparison', '每组对比的评审人数'],
  'admin.h.overlap': ['How many different raters judge each comparison.', '每组对比由多少位不同的评审员评判。'],
  'admin.f.lease': ['Time to answer (seconds)', '作答时限（秒）'],
  'admin.h.lease': ['After this a comparison goes back to the pool.', '超时后该对比将重新分配。'],
  'admin.f.schedule': ['Which comparisons come next', '下一题的选择方式'],
  'admin.h.schedule': ['Active sends votes to the model pairs whose order is least certain, and still gives every pair a share.', '主动模式把投票优先分给排序最不确定的模型对，同时每个模型对仍保有一定份额。'],
  'admin.f.gold_rate': ['Share of control pairs', '检验题比例'],
  'admin.h.gold_rate': ['0 to 1: how often a known-answer pair is shown.', '0 到 1：显示已知答案对比的频率。'],
  'admin.f.qc_min_seconds': ['Too-fast warning (seconds per vote)', '过快警告（每票秒数）'],
  'admin.h.qc_min_seconds': ['0 to 3600: a rater whose median time per vote is below this is marked on the quality page.', '0 到 3600：每票中位用时低于此值的评审员会在质量页面被标出。'],
  'admin.f.qc_min_gold_accuracy': ['Control-pair warning (share right)', '检验题警告（正确率）'],
  'admin.h.qc_min_gold_accuracy': ['0 to 1: a rater who answers a smaller share of control pairs right is marked on the quality page.', '0 到 1：检验题正确率低于此值的评审员会在质量页面被标出。'],
  'admin.f.outcomes': ['Choices raters get', '评审可选项'],
  'admin.f.flags': ['Flags', '标记'],
  'admin.h.flags': ['Separated by commas, e.g. unsafe, factually_wrong.', '用逗号分隔，例如 unsafe, factually_wrong。'],
  'admin.f.raters': ['Who may rate', '谁可以评审'],
  'admin.raters_all': ['every rater', '所有评审员'],
  'admin.raters_some': ['only these users:', '仅以下用户：'],
  'admin.f.raters_list': ['User names of the raters, separated by commas', '评审员用户名，用逗号分隔'],
  'admin.f.reviewers': ['Reviewers', '复核员'],
  'admin.h.reviewers': ['User names, separated by commas. Admins may always review.', '用户名，用逗号分隔。管理员始终可以复核。'],
  'admin.f.guidelines': ['Guidelines (Markdown)', '评审指南（Markdown）'],
  'admin.h.guidelines': ['A changed text becomes a new version; each vote records its version.', '修改后的文本会成为新版本，每次投票都会记录所依据的版本。'],
  'admin.preview': ['Preview', '预览'],
  'admin.preview_empty': ['Nothing to preview.', '没有可预览的内容。'],
  'admin.upload_to': ['Upload prompts and answers to “{title}”', '向“{title}”上传问题和回答'],
  'admin.upload_hint': ['A JSON Lines file: one prompt per line with two or more answers (see the API description). A line seen before with the same content is left unchanged.', 'JSON Lines 文件：每行一个问题及两个或以上的回答（见 API 说明）。内容相同的重复行不会改变。'],
  'admin.f.file': ['File', '文件'],
  'admin.choose_file_btn': ['Choose a file…', '选择文件…'],
  'admin.no_file': ['no file chosen', '未选择文件'],
  'admin.partial': ['Store the valid lines even if some lines are invalid', '即使部分行无效，也保存有效的行'],
  'admin.upload': ['Upload', '上传'],
  'admin.upload_progress': ['Upload progress', '上传进度'],
  'admin.uploading': ['Uploading… {pct}', '上传中… {pct}'],
  'admin.upload_done': ['Uploaded.', '上传完成。'],
  'admin.choose_file': ['Choose a file first.', '请先选择文件。'],
  'admin.upload_counts': ['Accepted {accepted}, unchanged {unchanged}, rejected {rejected}.', '接受 {accepted} 行，未变 {unchanged} 行，拒绝 {rejected} 行。'],
  'admin.upload_nothing': ['Nothing was stored: fix the lines below, or tick “store the valid lines”.', '未保存任何内容：请修正以下各行，或勾选“保存有效的行”。'],
  'admin.upload_counts_refused': ['{accepted} new and {unchanged} unchanged lines were valid; {rejected} lines have problems.', '有效的行：新 {accepted} 行，未变 {unchanged} 行；有问题的行：{rejected} 行。'],
  'admin.line_errors': ['Problems, line by line', '逐行问题'],
  'admin.items_of': ['Items of {title}', '“{title}”的条目'],
  'admin.items_search': ['Search ids and prompts', '搜索编号和问题'],
  'admin.search': ['Search', '搜索'],
  'admin.items_shown': ['{n} items.', '共 {n} 条。'],
  'admin.items_shown_more': ['{n} items shown; more below.', '已显示 {n} 条；下面还有更多。'],
  'admin.items_none': ['No item matches.', '没有匹配的条目。'],
  'admin.col.prompt': ['Prompt', '问题'],
  'admin.col.category': ['Category · language', '类别 · 语言'],
  'admin.col.models': ['Models', '模型'],
  'admin.col.votes': ['Votes', '投票'],
  'admin.delete_item': ['Delete', '删除'],
  'admin.confirm_delete': ['Press again to delete', '再按一次以删除'],
  'admin.delete_item_confirm': ['Item {id}: its comparisons will no longer be given out; its {n} votes are kept (rater statistics still count them) but leave the rankings and exports.', '条目 {id}：其对比将不再分配；其 {n} 票保留（评审员统计仍计入），但退出排行榜和导出。'],
  'admin.item_deleted': ['Item {id} was deleted; its {n} votes are kept, out of the rankings and exports.', '条目 {id} 已删除；其 {n} 票保留，但不计入排行榜和导出。'],
  'admin.delete_project': ['Delete the project', '删除项目'],
  'admin.delete_project_hint': ['The project is closed and listed nowhere; its votes are kept in the database but leave the rankings and exports, and its name is free again.', '项目将被关闭且不再列出；其投票保留在数据库中，但退出排行榜和导出，项目名称可以重新使用。'],
  'admin.delete_project_confirm': ['Delete {title}? No one can rate it any more; its votes are kept but no longer counted.', '删除“{title}”？之后无人能再评审；其投票保留但不再计入。'],
  'admin.project_deleted': ['{title} was deleted; {n} votes are kept in the database.', '“{title}”已删除；{n} 票保留在数据库中。'],
  'admin.col.line': ['Line', '行号'],
  'admin.col.id': ['Item id', '条目 ID'],
  'admin.col.code': ['Code', '错误代码'],
  'admin.col.message': ['Problem', '问题说明'],
  'admin.errors_truncated': ['Only the first 1,000 problems are listed.', '仅列出前 1,000 个问题。'],
  'admin.users': ['Users', '用户'],
  'admin.new_user': ['New user', '新建用户'],
  'admin.f.name': ['User name', '用户名'],
  'admin.f.role': ['Role', '角色'],
  'admin.f.password': ['Password', '密码'],
  'admin.h.password': ['At least 8 characters. Leave empty for a user who only uses an API token.', '至少 8 个字符。仅使用 API 令牌的用户可留空。'],
  'admin.create_user': ['Create user', '创建用户'],
  'admin.token_for': ['API token for {name}', '{name} 的 API 令牌'],
  'admin.token_once': ['Copy it now: it is shown only once, and only its hash is stored.', '请立即复制：令牌只显示这一次，服务器仅保存其哈希值。'],
  'admin.copy': ['Copy', '复制'],
  'admin.copied': ['Copied.', '已复制。'],
  'admin.copy_manual': ['Selected: press Ctrl+C to copy.', '已选中：按 Ctrl+C 复制。'],
  'admin.col.user': ['User', '用户'],
  'admin.col.role': ['Role', '角色'],
  'admin.col.state': ['State', '状态'],
  'admin.col.created': ['Created', '创建时间'],
  'admin.you': [' (you)', '（你）'],
  'admin.role_of': ['Role of {name}', '{name} 的角色'],
  'admin.enabled': ['enabled', '已启用'],
  'admin.disabled': ['disabled', '已停用'],
  'admin.enable': ['Enable', '启用'],
  'admin.disable': ['Disable', '停用'],
  'admin.reset_password': ['Reset password', '重置密码'],
  'admin.new_password_for': ['New password for {name}', '{name} 的新密码'],
  'admin.new_token': ['New API token', '新 API 令牌'],
  'admin.new_token_confirm': ['Click again: the old token stops working', '再次点击确认：旧令牌将失效'],
  'admin.role_changed': ['{name} has a new role.', '{name} 的角色已更改。'],
  'admin.user_enabled': ['{name} is enabled.', '{name} 已启用。'],
  'admin.user_disabled': ['{name} is disabled and logged out.', '{name} 已停用并被登出。'],
  'admin.password_reset': ['The password of {name} was changed; their sessions ended.', '{name} 的密码已更改，其登录会话已结束。'],

  // rater work (issue 14): ratework.js and the pages that show its parts
  'work.transcript': ['Conversation so far', '之前的对话'],
  'work.system': ['System prompt', '系统提示'],
  'work.role_user': ['User', '用户'],
  'work.role_assistant': ['Assistant', '助手'],
  'work.strength': ['How much better?', '好多少？'],
  'work.strength_1': ['Slightly better', '稍好'],
  'work.strength_2': ['Clearly better', '明显更好'],
  'work.strength_3': ['Much better', '好得多'],
  'work.strength_keys': ['Shift+1 or Shift+2: A or B is much better.', 'Shift+1 或 Shift+2：A 或 B 好得多。'],
  'work.scores_a': ['Scores for answer A', '回答 A 的评分'],
  'work.scores_b': ['Scores for answer B', '回答 B 的评分'],
  'work.score_none': ['–', '–'],
  'work.scores_missing': ['Give every required score (marked *) before choosing.', '请先给出所有必填评分（标 * 的）再做选择。'],
  'work.rewrite': ['Improve the better answer (optional)', '改进较好的回答（可选）'],
  'work.rewrite_required': ['Improve the better answer (required when both are bad)', '改进较好的回答（两者都不好时必填）'],
  'work.rewrite_hint': ['Start from an answer and edit it, or write a good one. Esc leaves the box.', '从某个回答开始修改，或自己写一个好的回答。按 Esc 离开文本框。'],
  'work.rewrite_from_a': ['Start from A', '从 A 开始'],
  'work.rewrite_from_b': ['Start from B', '从 B 开始'],
  'work.rewrite_missing': ['Both answers are bad: write a good answer in the box first.', '两个回答都不好：请先在文本框中写一个好的回答。'],
  'work.sensitive_warning': ['Content warning: this text may be disturbing.', '内容警告：此文本可能令人不适。'],
  'work.reveal_sensitive': ['Show the text', '显示文本'],
  'work.reveal_title': ['The models were', '模型揭晓'],
  'work.rewrite_diff': ['Rewrite, against the answer it improved', '改写（与被改进的回答对比）'],
  'work.quote': ['Passage', '段落'],
  'work.exposure': ['Sensitive content seen', '接触的敏感内容'],
  'work.exposure_none': ['No rater has been shown sensitive content yet.', '尚无评审员看过敏感内容。'],
  'work.exposure_hint': ['Sensitive comparisons shown per rater and day (marked at upload, or an answer flagged unsafe), out of all shown.', '每位评审员每天看到的敏感对比数（上传时标记，或回答被标为不安全）与总数。'],
  'work.exposure_day': ['Day', '日期'],
  'work.exposure_count': ['Sensitive comparisons', '敏感对比数'],
  'work.scores_title': ['Scores per answer', '回答评分'],
  'work.score_mean': ['Mean', '平均'],
  'work.score_ci': ['95% interval', '95% 区间'],
  'work.score_n': ['Scores', '评分数'],
  'work.criterion': ['Criterion', '评分项'],
  'work.model': ['Model', '模型'],
  'work.rater': ['Rater', '评审员'],
  'work.options': ['Rater work', '评审工作'],
  'work.option_strength': ['Strength of preference', '偏好强度'],
  'work.option_criteria': ['Criteria (JSON: [{"name", "scale", "labels", "required"}])', '评分项（JSON：[{"name", "scale", "labels", "required"}]）'],
  'work.option_rewrite': ['Rewrites', '改写'],
  'work.option_reveal': ['Reveal the models after the vote', '投票后揭晓模型'],
  'work.option_explicit': ['Explicit content (raters may opt out)', '含露骨内容（评审员可选择退出）'],
  'work.rewrite_off': ['off', '关闭'],
  'work.rewrite_optional': ['optional', '可选'],
  'work.rewrite_required_when_both_bad': ['required when both are bad', '两者都不好时必填'],
  'work.criteria_invalid': ['Criteria must be a JSON array.', '评分项必须是 JSON 数组。'],
};

// The API's error codes (error.code; for validation_failed also the field in details.field) in
// Chinese. A Chinese page shows this text for a code it knows, else the server's own message
// (errorMessage in api.js); an English page always shows the server's message, which is the
// English text of these. {seconds} is Retry-After, {field} the field's name below, {parameter}
// the query parameter the server names.
const API_ERRORS_ZH = {
  bad_request: '请求有误，服务器无法处理。',
  'bad_request.parameter': '请求参数“{parameter}”有误。',
  invalid_json: '请求内容不是有效的 JSON。',
  validation_failed: '提交的内容未被接受，请检查后重试。',
  'validation_failed.field': '“{field}”一项未被接受，请检查后重试。',
  'validation_failed.slug': '项目标识（slug）只能使用小写字母、数字、- 和 _，以字母或数字开头，最长 64 个字符。',
  'validation_failed.outcomes': '“选项”必须包含 A 和 B，且只能是 A、B、平局、都不好。',
  'validation_failed.rationale': '理由不符合要求：此项目要求填写理由，或理由过长。',
  unauthorized: '登录已过期或凭据无效，请重新登录。',
  forbidden: '你没有执行此操作的权限。',
  not_qualified: '你尚未通过本项目的资格测试，暂时不能评审。',
  not_found: '未找到所请求的内容，或你无权查看。',
  method_not_allowed: '不支持此操作。',
  conflict: '操作与当前状态冲突（内容已存在、已被处理或项目已暂停），请刷新后重试。',
  guidelines_changed: '评审指南已更新，请先阅读变更。',
  already_undone: '这次投票已经撤销。',
  undo_expired: '撤销时限已过，这次投票不能再撤销。',
  gone: '已过期：这项任务的保留时间已到，请重新获取。',
  payload_too_large: '提交的内容过大。',
  unsupported_media_type: '不支持此内容类型。',
  rate_limited: '尝试次数过多，请在 {seconds} 秒后重试。',
  unavailable: '服务器暂时不可用，请稍后重试。',
  internal: '服务器内部出错，请稍后重试；如仍失败，请联系管理员。',
};

// The fields that validation_failed names, in Chinese (the key itself where it is not here).
const FIELDS_ZH = {
  slug: '项目标识', title: '标题', guidelines: '评审指南', outcomes: '选项', flags: '标记', rationale: '理由',
  overlap: '重叠数', lease_seconds: '保留时长', raters: '评审员', reviewers: '复核员', gold_rate: '对照题比例',
  status: '状态', qc_min_seconds: '最短用时', qc_min_gold_accuracy: '对照题最低准确率', schedule: '分配方式',
  strength: '偏好强度', criteria: '评分项', rewrite: '改写', reveal: '揭晓模型', explicit: '露骨内容',
  qualification: '资格测试', name: '用户名', role: '角色', password: '密码', disabled: '停用', choice: '选择',
  elapsed_ms: '用时', scores: '评分', comment: '评论', verdict: '结论', reason: '原因', text: '文本',
  version: '版本', reply: '回复', username: '用户名',
};

/**
 * The Chinese text of an API error (code, details, retryAfter) when the page is in Chinese and
 * the code is known; null otherwise (then the server's message is shown).
 */
export function apiErrorText(code, details, retryAfter) {
  if (current !== 'zh-CN' || !code || !Object.prototype.hasOwnProperty.call(API_ERRORS_ZH, code)) return null;
  const d = details && typeof details === 'object' ? details : {};
  const own = (key) => Object.prototype.hasOwnProperty.call(API_ERRORS_ZH, key);
  let key = code;
  if (typeof d.field === 'string' && d.field) key = own(`${code}.${d.field}`) ? `${code}.${d.field}` : `${code}.field`;
  else if (typeof d.parameter === 'string' && d.parameter) key = `${code}.parameter`;
  if (!own(key)) key = code;
  const vars = { seconds: retryAfter || '60', field: FIELDS_ZH[d.field] || d.field, parameter: d.parameter };
  return API_ERRORS_ZH[key].replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined ? m : String(vars[name])));
}

function initial() {
  let stored = null;
  try { stored = localStorage.getItem(STORE_KEY); } catch (_) { /* storage disabled */ }
  if (LANGS.includes(stored)) return stored;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || '';
  return nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current = initial();
document.documentElement.lang = current;

export function getLang() {
  return current;
}

/** True when the table has this key. */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(STRINGS, key);
}

function resolve(v) {
  if (v && typeof v === 'object' && typeof v.t === 'string') return t(v.t, v.vars);
  if (typeof v === 'number') return fmtNumber(v);
  if (v && typeof v === 'object' && 'date' in v) return fmtDate(v.date);
  return v === undefined || v === null ? '' : String(v);
}

/**
 * The string for key in the current language, with {name} replaced from vars. A var may itself
 * be {t: key, vars} (translated too), a number or {date: time} (both formatted for the language).
 */
export function t(key, vars) {
  const entry = STRINGS[key];
  if (!entry) {
    console.error(`i18n: no string "${key}"`); // eslint-disable-line no-console
    return key;
  }
  const s = entry[current === 'zh-CN' ? 1 : 0];
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? resolve(vars[name]) : m));
}

/** A translated label of a known value (role, status, flag, outcome...), else the value itself. */
export function label(kind, value) {
  const key = `${kind}.${value}`;
  return has(key) ? { t: key } : String(value).replace(/_/g, ' ');
}

/** Sets el's text to key's string and remembers key (and vars) for a language switch. */
export function bind(el, key, vars) {
  el.dataset.i18n = key;
  if (vars) el.dataset.i18nArgs = JSON.stringify(vars);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, vars);
  return el;
}

/** The same for an attribute (placeholder, aria-label, title...). */
export function bindAttr(el, attr, key, vars) {
  const all = el.dataset.i18nAttrs ? JSON.parse(el.dataset.i18nAttrs) : {};
  all[attr] = vars ? [key, vars] : [key];
  el.dataset.i18nAttrs = JSON.stringify(all);
  el.setAttribute(attr, t(key, vars));
  return el;
}

/** Re-translates every bound element under root. */
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const vars = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : undefined;
    el.textContent = t(el.dataset.i18n, vars);
  }
  for (const el of root.querySelectorAll('[data-i18n-attrs]')) {
    for (const [attr, [key, vars]] of Object.entries(JSON.parse(el.dataset.i18nAttrs))) {
      el.setAttribute(attr, t(key, vars));
    }
  }
}

/** Switches the language of the page and remembers it. */
export function setLang(lang) {
  if (!LANGS.includes(lang)) return;
  current = lang;
  try { localStorage.setItem(STORE_KEY, lang); } catch (_) { /* storage disabled */ }
  document.documentElement.lang = lang;
  translate(document);
  window.dispatchEvent(new CustomEvent('langchange', { detail: { lang } }));
}

export function fmtNumber(n, opts) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return new Intl.NumberFormat(current, opts).format(n);
}

export function fmtPercent(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return new Intl.NumberFormat(current, { style: 'percent', maximumFractionDigits: digits,
    minimumFractionDigits: digits }).format(x);
}

export function fmtDate(s) {
  if (!s) return '–';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}
